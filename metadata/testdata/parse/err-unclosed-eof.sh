echo hi
# <crontab>
#   time: * * * * *
