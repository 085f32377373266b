// What a freshly forked daemon process does before Python: title, umask, logs, fds, identity,
// working directory; then it loads wsgid_python.so and hands over. Never returns.
#pragma once

#include <httpd.h>

#include "config/config.hpp"

namespace wsgid {

[[noreturn]] void run_daemon_child(server_rec* main_server, DaemonGroup& group,
                                   wsgid_process_slot* shared_slot, int startup_delay_seconds,
                                   uid_t worker_uid);

}  // namespace wsgid
