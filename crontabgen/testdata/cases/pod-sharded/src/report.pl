#!/usr/bin/perl

=head1 METADATA

    <crontab>
        time: 0 6 * * *
        package: scripts2
        params: --full
        group: reports
    </crontab>
    <crontab>
        time: 0 18 * * *
        package: scripts2
        params: --full
        group: reports
        comment: same params at another time: same lock
    </crontab>

=cut
