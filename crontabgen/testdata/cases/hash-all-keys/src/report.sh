#!/bin/sh
# <crontab>
#   time: 30 4 * jan-jun mon-fri
#   package: tools
#   params: --report daily --format '%Y-%m-%d' --title "Daily report"
#   group: reports
#   lockname: daily-report
#   lease: FQDN_cpu=1:CPU
#   lease: FQDN_mem=4:int(MEMMB/1024)
#   timeout: 2h
#   wait: 5m
#   halt_on_failure: yes
#   expected_duration: 90m
#   min_interval: 1h
#   notify: oncall
#   nice: -5
#   ionice: best-effort:6
#   rlimit: nofile=1024:4096
#   rlimit: core=0
#   memory_max: 4G
#   cpu_max: 150%
#   limits_best_effort: yes
#   splay: 45s
#   catch_up: 26h
#   standby: 2m
#   user: reporter
#   env: TZ=UTC
#   env: GREETING=hello, world 100%
#   env: LC_ALL=C.UTF-8
#   env: EMPTY=
#   mailto: reports@example.com
#   comment: the daily report, needs 4 GB
# </crontab>
# <crontab>
#   time: @reboot
#   package: tools
#   no_lock: yes
# </crontab>
