# <crontab>
#   time: @hourly
#   time: @daily
#   lease: a=1:2
#   lease: b=1:2
# </crontab>
