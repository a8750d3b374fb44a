# <crontab>
#   time: @daily
#   package: e
#   lockname: shared-on-purpose
# </crontab>
