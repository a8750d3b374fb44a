# <crontab>
#   time: */0 * * * *
# </crontab>
