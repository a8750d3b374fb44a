# <crontab>
#   time: @monthly
#   package: acme-extra
# </crontab>
