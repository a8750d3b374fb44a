# <crontab>
#   time: @daily
#   package: e
#   comment: tab	here is fine, escape  is not
# </crontab>
