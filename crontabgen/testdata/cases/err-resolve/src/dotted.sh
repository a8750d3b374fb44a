# <crontab>
#   time: @hourly
#   package: scripts.v2
# </crontab>
# <crontab>
#   time: @daily
#   package: scripts.v2
# </crontab>
# <crontab>
#   time: @daily
# </crontab>
