#!/bin/sh
# Every key, in a shell comment.
#
# <crontab>
#   # a comment line inside the block
#   time: 30 4 * jan-jun mon-fri
#   package: scripts2
#   params: --report daily --format '%Y-%m-%d' --title "Daily report"
#   group: reports
#   lockname: daily-report
#   lease: FQDN_cpu=1:CPU
#   lease: FQDN_mem=4:int(MEMMB/1024)
#   timeout: 2h
#   wait: 5m
#   user: reporter
#   env: TZ=UTC
#   env: LC_ALL=C.UTF-8
#   mailto: reports@example.com
#   comment: the daily report, needs 4 GB
# </crontab>
#
#<crontab>
#time:@reboot
#package:scripts2
#no_lock: yes
#</crontab>
exec /usr/bin/report "$@"
