# <crontab>
#   time: 61 * * * *
# </crontab>
