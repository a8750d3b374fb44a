# original.pl: the original switchman's option parsing (App::Switchman
# 1.16, BUILDARGS), fed one JSON array of arguments a line on stdin; prints
# one JSON object a line: whether Getopt::Long accepted the line, the
# options it set and the arguments left (the command).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use JSON::PP;

my $json = JSON::PP->new->canonical;
local $SIG{__WARN__} = sub { };
$| = 1;
while (my $line = <STDIN>) {
    my @args = @{ $json->decode($line) };
    my (%o, $config, %leases);
    $o{lock} = 1;
    my $ok = GetOptionsFromArray(
        \@args,
        'c|config=s' => \$config,
        'g|group=s' => \$o{group},
        'h|help' => sub { $o{help} = 1 },
        'lease=s' => \%leases,
        'lockname=s' => \$o{lockname},
        'v|version' => sub { $o{version} = 1 },
        'lock!' => \$o{lock},
    );
    print $json->encode({ok => $ok ? JSON::PP::true : JSON::PP::false, config => $config, %o,
        leases => \%leases, cmd => \@args}), "\n";
}
