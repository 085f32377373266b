// A worker's connections to daemon sockets (addresses from util/unix_address.hpp: a path, or
// "@name" in the abstract namespace): one way to connect to one, with the listener's identity
// checked before the group's secret goes out, and this worker child's pool of idle connections.
// Used by the request exchange (daemon_exchange.cpp) and the Python hook calls (python_hooks.cpp).
#pragma once

#include <httpd.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"

namespace wsgid {

struct ConnectOptions {
  bool nonblocking = false;  // else blocking, bounded by `timeout_seconds` (connect included)
  long timeout_seconds = 0;  // SO_SNDTIMEO and SO_RCVTIMEO of a blocking socket; 0: none
  int send_buffer = 0;       // SO_SNDBUF; 0: the system's default
};

// One attempt: a new socket connected to `g`'s socket and proved to be held by the process
// that created it (else logged, WSGID0150). -1 with errno set when the connect failed, -1 with
// errno 0 when the listener is not the expected one.
int connect_once(request_rec* r, const DaemonGroup& g, const ConnectOptions& options);

// Connects within connect-timeout. A full backlog (EAGAIN) or a socket not there yet (during a
// restart) is retried; the daemons may be busy or restarting. -1 after logging why.
int connect_daemon(request_rec* r, const DaemonGroup& g);

// This worker child's idle connections to daemons, per daemon socket, most recently used
// first. A connection here has ended an exchange with a kKeepAlive ResponseEnd.
class ConnectionPool {
 public:
  // A live idle connection, or -1. One whose daemon has since closed it (GoAway or EOF
  // waiting) is dropped here, before anything is sent on it.
  int take(const DaemonGroup& g);
  // Keeps at most one idle connection per daemon thread of the group: the daemons keep no more.
  void put(const DaemonGroup& g, int fd);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<int>> idle_;
};

ConnectionPool& idle_connections();

}  // namespace wsgid
