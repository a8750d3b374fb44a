#!/bin/sh
# Same lock, same command, other settings: one unit cannot hold both.
# <crontab>
#   time: @daily
# </crontab>
# <crontab>
#   time: @hourly
#   timeout: 5m
# </crontab>
