#!/bin/sh
# Build the daily report; the date format shows that % reaches the script.
#
# <crontab>
#   time: 30 4 * * mon-fri
#   package: scripts2
#   params: --date-format %Y-%m-%d --title 'Daily report'
#   group: reports
#   timeout: 2h
#   mailto: reports@example.com
#   comment: weekdays at 04:30, stopped after two hours
# </crontab>
set -eu
echo "report" >/dev/null
