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

// What a SIGHUP reload needs once the new files are in place.
struct Reload {
  std::chrono::seconds stop_deadline{30};
  // False when nothing httpd reads changed: the daemons are recycled one by one and httpd, with
  // its client connections, is left alone. True: httpd restarts gracefully (SIGUSR1).
  bool restart_httpd = true;
  // How long each daemon may take to drain and be replaced when only the daemons are recycled.
  std::chrono::seconds recycle_deadline{30};
};

struct SuperviseOptions {
  std::filesystem::path httpd_conf;
  std::vector<profile::ListenAddress> listen;  // probed to know when httpd is ready
  std::string ready_line;                      // printed once, when httpd accepts connections
  std::chrono::seconds stop_deadline{30};      // graceful stop, then SIGTERM, then SIGKILL
  // Called on SIGHUP. Re-validates and re-renders the config; returns what the reload needs
  // when the new config is in place and checked, or nullopt (after reporting why) to keep the
  // running config untouched.
  std::function<std::optional<Reload>()> reload;
};

// Returns httpd's exit code (128 + signal if it was killed), or 1 if it could not start.
int supervise(const SuperviseOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wsgid::supervise
