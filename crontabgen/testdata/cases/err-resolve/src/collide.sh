# <crontab>
#   time: @daily
#   package: e
#   params: --a=1
# </crontab>
# <crontab>
#   time: @daily
#   package: e
#   params: --a 1
# </crontab>
