# <crontab>
#   time: @daily
# </crontab>
