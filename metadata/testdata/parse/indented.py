#!/usr/bin/env python3
"""Sync the catalogue."""

    # <crontab>
    #     time: 0 */6 * * *
    #     package: tools
    #     group: sync
    #     wait: no
    #     env: PYTHONUNBUFFERED=1
    #     env: EMPTY=
    # </crontab>

print("sync")
