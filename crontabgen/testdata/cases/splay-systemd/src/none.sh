#!/bin/sh
# splay: 0 keeps the job at the top of its minute.
# <crontab>
#   time: 0 3 * * *
#   splay: 0s
# </crontab>
