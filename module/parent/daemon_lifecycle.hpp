// The httpd parent's side of daemon groups: sockets, fork, supervision, restart with back-off,
// and draining across graceful restarts and stops.
#pragma once

#include <httpd.h>

namespace wsgid {

// post_config: creates (or keeps, across restarts) each group's socket and forks its daemons.
int start_daemon_groups(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* s);

// The parent's monitor hook (about once a second): forks a replacement for each daemon that has
// begun to drain on its own account, without waiting for it to exit.
void replace_draining_daemons();

// child_init of httpd's worker children: they connect to daemons, they never accept for them.
void close_daemon_sockets_in_worker();

}  // namespace wsgid
