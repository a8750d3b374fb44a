=head1 METADATA

    <crontab>
        time: @hourly

=cut
