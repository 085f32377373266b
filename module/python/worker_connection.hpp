// A connection from an httpd worker while this daemon process holds it: counted (see
// Daemon::keep_alive_allowed), its peer as checked at accept, and whether its Hello has proved
// the group's secret yet (greet).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "connection.hpp"
#include "peer_auth.hpp"

namespace wsgid::python {

// A new connection must send its Hello within this (a worker sends it with the request head, in
// the same write). Until then it is parked, so a peer that connects and says nothing holds no
// request thread, and is closed after this.
constexpr std::int64_t kHelloTimeoutNs = 5'000'000'000;
// A thread that accepts a connection waits this long for its Hello before parking it. A worker
// writes right after connecting, so the Hello is nearly always there within microseconds; a
// thread that parked at once would go back to accept more connections than its process has
// threads to serve, and the surplus would wait behind this process's busy threads while a
// sibling had free ones.
constexpr std::int64_t kFreshHelloWaitNs = 100'000'000;

struct WorkerConnection {
  // `shared`: this process's count in the scoreboard, which its siblings read (may be null).
  WorkerConnection(int fd, double timeout, std::atomic<int>& open, std::int32_t* shared)
      : conn(fd, timeout), open_count(open), shared_count(shared) {
    ++open_count;
    if (shared_count) __atomic_fetch_add(shared_count, 1, __ATOMIC_RELAXED);
  }
  ~WorkerConnection() {
    --open_count;
    if (shared_count) __atomic_fetch_sub(shared_count, 1, __ATOMIC_RELAXED);
  }
  WorkerConnection(const WorkerConnection&) = delete;
  WorkerConnection& operator=(const WorkerConnection&) = delete;
  Connection conn;
  std::atomic<int>& open_count;
  std::int32_t* shared_count;
  Peer peer;                      // who connected (SO_PEERCRED at accept)
  bool greeted = false;           // its Hello has been read and proved the group's secret
  bool registered = false;        // in the epoll set (parked before)
  std::int64_t parked_ns = 0;     // when it was last parked
  std::int64_t hello_due_ns = 0;  // until greeted: accepted + kHelloTimeoutNs
};

// Logs that `who` (this process, for the log line) refused `peer`.
void refuse(const std::string& who, const Peer& peer, const Refusal& why);

// The refusal of a peer that said nothing within kHelloTimeoutNs.
Refusal no_hello();

enum class Greeting { kGreeted, kWaiting, kRefused };

// Takes the connection's Hello if it has arrived, without waiting for it. A refused peer is
// logged here.
Greeting greet(WorkerConnection& wc, const PeerPolicy& policy, const std::string& who);

}  // namespace wsgid::python
