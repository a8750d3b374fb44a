#!/bin/sh
# Two scripts that share a lock on purpose get units of their own.
# <crontab>
#   time: */10 * * * *
#   lockname: db@night
# </crontab>
