#!/bin/sh
# <crontab>
#   time: * * * * *
#   splay: 30
# </crontab>
# <crontab>
#   time: * * * * *
#   splay: -5s
# </crontab>
# <crontab>
#   time: * * * * *
#   splay: 2h
# </crontab>
