#!/usr/bin/env python3
# <crontab>
#   time: 15 * * * sun
#   package: tools
#   mailto: ""
# </crontab>
# <crontab>
#   time: 45 23 1 dec *
#   package: tools
#   mailto: "ops@example.com, dev@example.com"
#   params: --year-end
# </crontab>
