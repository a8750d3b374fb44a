#!/bin/sh
# <crontab>
#   time: @hourly
#   package: p
#   nice: 20
#   ionice: fast
#   oom_score_adj: -1001
#   rlimit: nofile=10:5
#   rlimit: files=10
#   memory_max: 1GB
#   cpu_max: 50
#   tasks_max: 0
#   limits_best_effort: perhaps
# </crontab>
# <crontab>
#   time: @hourly
#   package: p
#   nice: 1
#   nice: 2
# </crontab>
