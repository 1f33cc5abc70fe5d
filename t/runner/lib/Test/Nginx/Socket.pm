package Test::Nginx::Socket;

# Our stand-in for OpenResty's Test::Nginx::Socket; use it with
# "prove -I t/runner/lib".  Test files must keep to the real API, so
# that "prove -r t/" with the real Test::Nginx runs them unchanged.
#
# Test::Base gives blocks(), plan, the section parser and its filters
# (eval, chomp, ...).  Spiffy's -Base filter adds "my $self = shift"
# to "sub name {" lines, so the code lives in Test::Nginx::Util and
# Test::Nginx::Http.

use Test::Base -Base;

use Test::Nginx::Util;
use Test::Nginx::Http;

our $VERSION = '0.32';

our @EXPORT = qw(
    env_to_nginx is_str plan run_tests run_test repeat_each config_preamble
    worker_connections master_process_enabled no_long_string workers
    master_on master_off log_level no_shuffle no_root_location use_hup
    server_name server_addr server_root html_dir server_port
    server_port_for_client timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_cleanup_handler
    add_response_body_check
);
