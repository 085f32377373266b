// The httpd parent's side of daemon groups: sockets, fork, supervision, restart with back-off,
// and draining across graceful restarts and stops.
#pragma once

#include <httpd.h>

namespace wsgid {

// post_config: creates (or keeps, across restarts) each group's socket and forks its daemons.
int start_daemon_groups(apr_pool_t* pconf, apr_pool_t* ptemp, server_rec* s);

// The parent's monitor hook (httpd runs it every ten seconds): forks a replacement for each
// daemon that has begun to drain on its own account, without waiting for it to exit, at most
// two per process of its group still draining at a time (WSGID0216).
void replace_draining_daemons();
// Also from the monitor hook: SIGKILLs each draining daemon still there ten seconds after its
// graceful-timeout ended (WSGID0215). Its own drain ends it at graceful-timeout; one still there
// is held by its application.
void kill_overdue_daemons();

// child_init of httpd's worker children: they connect to daemons, they never accept for them.
void close_daemon_sockets_in_worker();

}  // namespace wsgid
