// The listening UNIX socket of a daemon group. The httpd parent creates it before forking, so
// it outlives every daemon process and, across graceful restarts, every generation of them:
// a connection waiting in its backlog is never lost while daemons are being replaced.
#pragma once

#include <httpd.h>
#include <sys/types.h>

namespace wsgid {

// Binds and listens on `path` (replacing a stale socket file), O_NONBLOCK|O_CLOEXEC, mode 0600,
// owned by `owner` when we are root so only httpd's workers can connect. Returns the fd or -1
// with the reason logged against `s`.
int create_daemon_socket(server_rec* s, const char* group, const char* path, int backlog,
                         uid_t owner);

}  // namespace wsgid
