# <crontab>
#   time: @daily
#   package: e
# </crontab>
# <crontab>
#   time: @daily
#   package: e
# </crontab>
