# <crontab>
#   time: @hourly
# </crontab>
# <crontab>
#   time: @weekly
#   package: acme-extra
#   params: --deep
# </crontab>
