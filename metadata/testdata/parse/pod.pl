#!/usr/bin/perl
use strict;
use warnings;

=head1 NAME

rotate.pl - rotate the queue's logs

=head1 DESCRIPTION

This example is not METADATA, so it is not read:

    <crontab>
        time: 61 61 61 61 61
    </crontab>

=head1 METADATA

    <crontab>
        time: 15 3 * * *
        package: scripts2
        params: --keep 7
    </crontab>
    <crontab>
        time: 45 3 * * sun
        package: scripts2
        params: --keep 30 --compress
    </crontab>

=cut

print "rotate\n";
