// Idle worker connections wait here, not in a thread: one epoll set holds the stop eventfd, the
// group's listening socket and every parked connection, and a free request thread takes
// whichever becomes readable (EPOLLONESHOT: exactly one). Parked connections idle too long are
// closed with GoAway; those that never sent their Hello are refused. A drain closes them all.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "unique_fd.hpp"
#include "worker_connection.hpp"

namespace wsgid::python {

// A parked connection unused this long is closed (GoAway). Otherwise an httpd worker child that
// has gone quiet would keep its share of this process's connections for as long as it lives,
// and those count against keep-alive for the busy children (Daemon::keep_alive_allowed).
constexpr std::int64_t kParkedIdleNs = 10'000'000'000;
// A parked connection's response ring gives its pages back after this long unused: a burst of
// large responses keeps them (faulting 1 MiB in per response would cost more than the ring
// saves), a connection that has gone quiet holds 1 MiB in this process and its worker child no
// longer. Sweeps for it are at least kRingSweepGapNs apart, so a busy daemon, whose connections
// are parked again and again, wakes its main thread a few times a second, not per request.
constexpr std::int64_t kRingIdleNs = 1'000'000'000;
constexpr std::int64_t kRingSweepGapNs = 250'000'000;

class ParkingLot {
 public:
  // epoll keys: the stop eventfd, the listening socket, then one fresh key per parking.
  static constexpr std::uint64_t kStopKey = 0;
  static constexpr std::uint64_t kListenKey = 1;

  // `draining`: the daemon's flag, set by close_all() under this lot's lock, so that no
  // connection is parked after the drain closed the parked ones. `who` names the process in
  // log lines.
  ParkingLot(std::atomic<bool>& draining, const std::string& who)
      : draining_(draining), who_(who) {}

  // Creates the epoll set watching `stop_fd` and `listen_fd`, and the sweep eventfd; false
  // (errno set) if it cannot.
  bool open(int stop_fd, int listen_fd);
  int epoll_fd() const { return epoll_fd_.get(); }
  // Readable when a connection was parked whose ring is due for release before the sweep the
  // main thread is waiting for: it should call close_idle() now to learn the earlier time.
  int sweep_fd() const { return sweep_fd_.get(); }
  // Waits for one event (a request thread); its key is kStopKey, kListenKey or a parking's.
  int wait(epoll_event& ev, int timeout_ms) const {
    return ::epoll_wait(epoll_fd_.get(), &ev, 1, timeout_ms);
  }
  // After a thread woken for the listening socket (kListenKey, one-shot) has called accept4:
  // lets the next connection wake a thread.
  void rearm_listener(int listen_fd) const;
  // Draining: the listening socket is closed next. The parent and the next generation hold the
  // same socket, so closing our fd would not take it out of the epoll set.
  void forget_listener(int listen_fd) const {
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, listen_fd, nullptr);
  }

  // The connection parked under `key`, or null when a drain or an idle sweep closed it.
  std::unique_ptr<WorkerConnection> unpark(std::uint64_t key);
  void park(std::unique_ptr<WorkerConnection> wc);
  // Draining: sets the flag; every parked connection gets GoAway, or, if its Hello is still
  // owed, waits for take_owing_hello().
  void close_all();
  // Draining: an accepted connection whose Hello had not come yet, or null.
  std::unique_ptr<WorkerConnection> take_owing_hello();
  // Closes the connections idle for kParkedIdleNs or owing their Hello past its time, and
  // frees the rings of those idle for kRingIdleNs; returns how long until the next sweep is due
  // (at most kHelloTimeoutNs).
  std::int64_t close_idle(std::int64_t now);

 private:
  std::atomic<bool>& draining_;
  const std::string& who_;
  UniqueFd epoll_fd_;
  UniqueFd sweep_fd_;
  // guards parked_, owing_hello_, next_key_, next_sweep_ns_ and draining_'s transition
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::unique_ptr<WorkerConnection>> parked_;
  // Draining: accepted connections whose Hello had not come yet (Daemon::serve_owing_hello).
  std::vector<std::unique_ptr<WorkerConnection>> owing_hello_;
  std::uint64_t next_key_ = kListenKey + 1;
  // When the main thread sweeps next, as the last close_idle() told it.
  std::int64_t next_sweep_ns_ = std::numeric_limits<std::int64_t>::max();
};

}  // namespace wsgid::python
