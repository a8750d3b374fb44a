#!/bin/sh
# <crontab>
#   time: 0 0 1 * mon
# </crontab>
# <crontab>
#   params: --boot
#   time: @reboot
# </crontab>
