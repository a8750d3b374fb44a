# <crontab>
#   time: @hourly
#   params: --home $HOME
#   lockname: a/b
#   group: two words
#   lease: cpu=1
#   timeout: forever
#   wait: sometimes
#   user: 0root
#   no_lock: maybe
#   env: SHELL=/bin/bash
#   env: MAILTO=x@y
#   env: 1X=y
#   mailto: "a"b"
# </crontab>
# <crontab>
#   time: @hourly
#   params: --x 'unbalanced
# </crontab>
# <crontab>
#   time: @hourly
#   params: --fmt 100\%
# </crontab>
# <crontab>
#   time: @hourly
#   lockname: x
#   no_lock: yes
# </crontab>
# <crontab>
#   time: 0 0 * * *
#   just some text
#   package: p
# </crontab>
# </crontab>
# <crontab>
#   time: @hourly
#   no_lock: yes
#   wait: 1m
# </crontab>
# <crontab>
#   time: @hourly
#   halt_on_failure: perhaps
#   expected_duration: 0s
#   min_interval: soon
# </crontab>
# <crontab>
#   time: @hourly
#   no_lock: yes
#   halt_on_failure: yes
# </crontab>
# <crontab>
#   time: @hourly
#   no_lock: yes
#   catch_up: 26h
# </crontab>
# <crontab>
#   time: @hourly
#   catch_up: later
# </crontab>
# <crontab>
#   time: @hourly
#   standby: 30s
# </crontab>
# <crontab>
#   time: @hourly
#   group: g
#   standby: -1s
# </crontab>
