# <crontab>
#   time: @daily
