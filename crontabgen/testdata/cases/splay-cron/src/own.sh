#!/bin/sh
# Its own splay overrides the fleet-wide one.
# <crontab>
#   time: 0 * * * *
#   splay: 10m
# </crontab>
