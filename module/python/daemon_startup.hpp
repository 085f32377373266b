// A daemon process's start-up before it serves: Python, the WSGI types, the learning-mode path
// audit, the preloaded scripts and the sandbox, in that order; and startup-timeout's watchdog.
#pragma once

#include <string>
#include <thread>

#include "process_status.hpp"
#include "python_abi.h"
#include "unique_fd.hpp"

namespace wsgid::python {

// False after logging the whole cause (a traceback, once); `cause` is then its one line (code,
// what, the exception's last line): what workers answer with while the group cannot start.
bool start_daemon_python(const wsgid_daemon_spec& spec, const std::string& who, std::string& cause);

// startup-timeout: a process that is not ready in time exits as a failed start, so the parent
// restarts it with back-off. Does nothing without startup-timeout or in embedded mode.
class StartupWatchdog {
 public:
  StartupWatchdog(const wsgid_daemon_spec& spec, const ProcessStatus& status,
                  const std::string& who);
  ~StartupWatchdog() { ready(); }
  StartupWatchdog(const StartupWatchdog&) = delete;
  StartupWatchdog& operator=(const StartupWatchdog&) = delete;
  // Start-up is over (well or not): the watchdog stops.
  void ready();

 private:
  UniqueFd ready_fd_;
  std::thread thread_;
};

}  // namespace wsgid::python
