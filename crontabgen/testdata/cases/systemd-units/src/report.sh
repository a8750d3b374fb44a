#!/bin/sh
# <crontab>
#   time: 30 4 * jan-jun mon-fri
#   params: --report daily --format '%Y-%m-%d' --title "Daily report" ';' '$HOME'
#   group: reports
#   lockname: daily-report
#   lease: FQDN_cpu=1:CPU
#   timeout: 2h
#   wait: 5m
#   halt_on_failure: yes
#   expected_duration: 90m
#   min_interval: 1h
#   catch_up: 12h
#   nice: -5
#   ionice: best-effort:6
#   rlimit: nofile=1024:4096
#   rlimit: core=0
#   memory_max: 4G
#   cpu_max: 150%
#   limits_best_effort: yes
#   user: reporter
#   env: TZ=UTC
#   env: GREETING=hello, world 100%
#   env: EMPTY=
#   mailto: reports@example.com
#   comment: the daily report, 100% of it
# </crontab>
