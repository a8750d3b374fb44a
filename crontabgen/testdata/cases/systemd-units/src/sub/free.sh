#!/bin/sh
# <crontab>
#   time: @hourly
#   no_lock: yes
#   params: --fast
# </crontab>
# <crontab>
#   time: @daily
#   no_lock: yes
#   params: --slow
# </crontab>
