#!/bin/sh
# One job at two times: one service, a timer with two OnCalendar= lines.
# <crontab>
#   time: 0 0 1 * *
# </crontab>
# <crontab>
#   time: 0 0 * * mon
# </crontab>
# <crontab>
#   time: @monthly
# </crontab>
