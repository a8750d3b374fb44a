# <crontab>
#   time: @hourly
#   package: e
#   lockname: shared-on-purpose
# </crontab>
