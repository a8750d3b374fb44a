# <crontab>
#   time: @hourly
#   package: e
# </crontab>
