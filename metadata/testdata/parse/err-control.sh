# <crontab>
#   time: @hourly
#   comment: bell  here
#   params: --x [31m
# </crontab>
