#!/bin/sh
# <crontab>
#   time: @hourly
#   package: p
#   nice: -5
#   ionice: idle
#   oom_score_adj: 500
#   rlimit: nofile=1024:4096
#   rlimit: core=0
#   memory_max: 2G
#   cpu_max: 50%
#   tasks_max: 64
#   limits_best_effort: yes
# </crontab>
