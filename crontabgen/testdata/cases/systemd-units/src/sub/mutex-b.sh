#!/bin/sh
# <crontab>
#   time: 5-55/10 * * * *
#   lockname: db@night
#   params: --vacuum
# </crontab>
