#!/usr/bin/perl
# Process one shard of the queue: the items whose id modulo --mod is --rem.
use strict;
use warnings;
use Getopt::Long;

GetOptions('mod=i' => \my $mod, 'rem=i' => \my $rem) or die "usage: $0 --mod N --rem R\n";
print STDERR "shard $rem of $mod\n" if $ENV{DEBUG};

__END__

=head1 NAME

shard.pl - process one shard of the queue

=head1 METADATA

Two shards, each on its own lock and every two minutes: one on the even
minutes, the other on the odd ones, so that they do not start together.

    <crontab>
        time: */2 * * * *
        package: scripts2
        params: --mod 2 --rem 0
        group: batch
    </crontab>
    <crontab>
        time: 1-59/2 * * * *
        package: scripts2
        params: --mod 2 --rem 1
        group: batch
    </crontab>

=cut
