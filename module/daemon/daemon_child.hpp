// What a freshly forked daemon process does before Python: title, umask, logs, fds, identity,
// working directory; then it loads wsgid_python.so and hands over. Never returns.
#pragma once

#include <httpd.h>

#include "config/config.hpp"

namespace wsgid {

// Whether a daemon of `group` execs wsgid-daemon (daemon_exec.hpp) before Python, or runs it in
// the forked image. A chroot= jail would need the helper and libpython inside it, and under
// WSGILazyInitialization Off the daemons are meant to share the interpreter the parent started:
// both stay forked, and their applications can read httpd's private memory (WSGID0219).
bool daemon_execs_helper(const DaemonGroup& group);

[[noreturn]] void run_daemon_child(server_rec* main_server, DaemonGroup& group,
                                   wsgid_process_slot* shared_slot, int startup_delay_seconds,
                                   uid_t worker_uid);

}  // namespace wsgid
