# <crontab>
#   time: * * * * *
#   packge: tools
#   no-lock: yes
# </crontab>
