#!/bin/sh
# The config's splay (the generator's Options.Splay) applies.
# <crontab>
#   time: */5 * * * *
#   group: web
# </crontab>
