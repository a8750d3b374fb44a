#!/usr/bin/perl

=head1 METADATA

    <crontab>
        time: */2 * * * *
        package: scripts2
        params: --mod 2 --rem 0
    </crontab>
    <crontab>
        time: */2 * * * *
        package: scripts2
        params: --mod 2 --rem 1
    </crontab>

=cut
