#!/usr/bin/perl
use strict;
use warnings;

=head1 NAME

shard.pl - process one shard of the queue

=head1 DESCRIPTION

This example is not METADATA, so it is not read:

    <crontab>
        time: 61 61 61 61 61
    </crontab>

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

print "shard\n";
