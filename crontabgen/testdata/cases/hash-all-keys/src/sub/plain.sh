# <crontab>
#   time: 0 0 * * *
#   package: tools
# </crontab>
