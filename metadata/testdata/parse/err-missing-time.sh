# <crontab>
#   package: tools
#   params: --x
# </crontab>
