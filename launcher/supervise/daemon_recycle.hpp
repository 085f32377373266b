// Recycling a running httpd's daemon processes without restarting httpd: for a reload where
// nothing httpd's workers read has changed (the app, its env file, its seccomp filter, the
// daemon settings file the parent re-reads before each fork), so httpd's client connections are
// left alone.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <iosfwd>
#include <vector>

namespace wsgid::supervise {

// The daemon processes of httpd `parent`: its children whose command line differs from its own
// (a daemon always sets its process title from display-name; worker children keep httpd's).
std::vector<pid_t> daemon_processes(pid_t parent);

// Asks each daemon in turn to drain (SIGUSR1: it finishes its requests, hands idle connections
// back with GoAway and exits; httpd forks its replacement), and waits, up to `per_daemon`, for
// it to be gone and as many daemons to be running as before, so the others serve meanwhile and
// no group is ever left empty by the reload. Returns how many were recycled.
int recycle_daemons(pid_t parent, std::chrono::seconds per_daemon, std::ostream& err);

}  // namespace wsgid::supervise
