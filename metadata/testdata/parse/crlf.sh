# <crontab>
#   time: 0 1 * * *
#   package: tools
# </crontab>
