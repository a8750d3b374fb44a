# <crontab>
#   time: 61 * * * *
#   packge: e
# </crontab>
# <crontab>
#   time: */0 * * * *
# </crontab>
# <crontab>
#   params: --x
# </crontab>
