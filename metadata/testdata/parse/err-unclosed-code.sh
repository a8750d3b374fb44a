# <crontab>
#   time: * * * * *
echo "the comment ended before </crontab>"
# </crontab>
