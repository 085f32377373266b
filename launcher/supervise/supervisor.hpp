// Runs httpd in the foreground and owns the signals: SIGTERM/SIGINT -> graceful stop bounded by
// a deadline, SIGHUP -> reload (via a callback) and graceful restart; reaps orphans as PID 1.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "profile/listen_address.hpp"

namespace wsgid::supervise {

struct SuperviseOptions {
  std::filesystem::path httpd_conf;
  std::vector<profile::ListenAddress> listen;  // probed to know when httpd is ready
  std::string ready_line;                      // printed once, when httpd accepts connections
  std::chrono::seconds stop_deadline{30};      // graceful stop, then SIGTERM, then SIGKILL
  // Called on SIGHUP. Re-validates and re-renders the config httpd reads; returns the new stop
  // deadline when the new config is in place and checked, or nullopt (after reporting why) to
  // keep the running config untouched.
  std::function<std::optional<std::chrono::seconds>()> reload;
};

// Returns httpd's exit code (128 + signal if it was killed), or 1 if it could not start.
int supervise(const SuperviseOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wsgid::supervise
