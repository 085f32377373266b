#include "connection_parking.hpp"

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "daemon_clock.hpp"
#include "error_log.hpp"

namespace wsgid::python {
namespace {

// The listening socket's registration, the same when added and when re-armed.
epoll_event listener_event() {
  epoll_event listen{};
  listen.events = EPOLLIN | EPOLLONESHOT;
  listen.data.u64 = ParkingLot::kListenKey;
  return listen;
}

}  // namespace

bool ParkingLot::open(int stop_fd, int listen_fd) {
  sweep_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (sweep_fd_.get() < 0) return false;
  epoll_fd_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  if (epoll_fd_.get() < 0) return false;
  epoll_event stop{};
  stop.events = EPOLLIN;
  stop.data.u64 = kStopKey;
  // Not EPOLLEXCLUSIVE: that wakes the first process in the socket's wait queue that has a
  // thread waiting, so one process would collect every new connection while it has a free
  // thread. Every process is woken and whichever runs first takes it. Within a process,
  // EPOLLONESHOT: level-triggered, a pending connection woke one waiting thread after another
  // until one had accepted it (7 accept4 calls per connection in a group of 2 x 8 threads, 6
  // of them EAGAIN); now one thread per process wakes, and rearm_listener() after its accept4
  // lets the next (epoll_ctl re-checks readiness, so a connection that queued meanwhile is not
  // missed).
  epoll_event listen = listener_event();
  return ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, stop_fd, &stop) == 0 &&
         ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listen_fd, &listen) == 0;
}

void ParkingLot::rearm_listener(int listen_fd) const {
  epoll_event listen = listener_event();
  // ENOENT after forget_listener (a drain): nothing to arm.
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, listen_fd, &listen);
}

std::unique_ptr<WorkerConnection> ParkingLot::unpark(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  const auto it = parked_.find(key);
  if (it == parked_.end()) return nullptr;  // closed by a drain meanwhile
  auto wc = std::move(it->second);
  parked_.erase(it);
  return wc;
}

void ParkingLot::park(std::unique_ptr<WorkerConnection> wc) {
  std::lock_guard lock(mutex_);
  if (draining_) {
    if (wc->greeted) {
      wc->conn.send_go_away();
    } else {
      owing_hello_.push_back(std::move(wc));
    }
    return;
  }
  wc->conn.release_idle_buffer();
  wc->parked_ns = now_ns();
  const std::uint64_t key = next_key_++;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.u64 = key;
  const int op = wc->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (::epoll_ctl(epoll_fd_.get(), op, wc->conn.fd(), &ev) != 0) {
    log_line(LogLevel::kError, std::string("WSGID0519: cannot watch an idle worker connection: ") +
                                   std::strerror(errno));
    wc->conn.send_go_away();
    return;
  }
  wc->registered = true;
  // The main thread may be asleep until a later sweep (up to kHelloTimeoutNs): wake it once to
  // plan this ring's release. A busy daemon's next sweep is already near, so this is rare.
  if (wc->conn.ring_populated() && wc->parked_ns + kRingIdleNs < next_sweep_ns_) {
    next_sweep_ns_ = wc->parked_ns + kRingIdleNs;
    notify(sweep_fd_.get());
  }
  parked_.emplace(key, std::move(wc));
}

// No parked connection will be read again. GoAway tells each worker that whatever it may have
// sent on it since the last response was not read, so it resends on a new connection.
void ParkingLot::close_all() {
  std::lock_guard lock(mutex_);
  draining_ = true;
  for (auto& [key, wc] : parked_) {
    if (wc->greeted) {
      wc->conn.send_go_away();
    } else {
      owing_hello_.push_back(std::move(wc));
    }
  }
  parked_.clear();
}

std::unique_ptr<WorkerConnection> ParkingLot::take_owing_hello() {
  std::lock_guard lock(mutex_);
  if (owing_hello_.empty()) return nullptr;
  auto wc = std::move(owing_hello_.back());
  owing_hello_.pop_back();
  return wc;
}

// A request thread that was woken for a connection closed here finds it gone (unpark), and a
// worker that sent a request on it at the same moment reads the GoAway and sends it again on a
// new connection.
std::int64_t ParkingLot::close_idle(std::int64_t now) {
  std::uint64_t woken = 0;
  [[maybe_unused]] const ssize_t n = ::read(sweep_fd_.get(), &woken, sizeof woken);
  std::size_t closed = 0;
  std::size_t trimmed = 0;
  // At least this often: a connection still owing its Hello may be parked meanwhile.
  std::int64_t next = kHelloTimeoutNs;
  {
    std::lock_guard lock(mutex_);
    for (auto it = parked_.begin(); it != parked_.end();) {
      WorkerConnection& wc = *it->second;
      // Trickling bytes in does not extend a connection's time to say Hello.
      const std::int64_t left =
          wc.greeted ? wc.parked_ns + kParkedIdleNs - now : wc.hello_due_ns - now;
      if (left > 0) {
        next = std::min(next, left);
        if (wc.conn.ring_populated()) {
          std::int64_t ring_left = wc.parked_ns + kRingIdleNs - now;
          if (ring_left <= 0) {
            // Parked, so no thread is writing to the ring. The worker may still be passing a
            // response's last bytes to a slow client: then it is tried again a while later.
            if (wc.conn.trim_ring()) {
              ++trimmed;
            } else {
              ring_left = kRingIdleNs;
            }
          }
          if (wc.conn.ring_populated()) next = std::min(next, std::max(ring_left, kRingSweepGapNs));
        }
        ++it;
        continue;
      }
      // Bytes no thread has read yet: the Hello came and waits for a free thread, as a request
      // waits for one; the next free thread reads it (and refuses it if it is no Hello).
      int unread = 0;
      if (!wc.greeted && ::ioctl(wc.conn.fd(), FIONREAD, &unread) == 0 && unread > 0) {
        ++it;
        continue;
      }
      if (wc.greeted) {
        wc.conn.send_go_away();
        ++closed;
      } else {
        refuse(who_, wc.peer, no_hello());
      }
      it = parked_.erase(it);
    }
    next_sweep_ns_ = now + next;
  }
  if (trimmed > 0 && log_enabled(LogLevel::kDebug)) {
    log_line(LogLevel::kDebug, "wsgid: " + who_ + " freed the response ring pages of " +
                                   std::to_string(trimmed) + " idle worker connection(s)");
  }
  if (closed > 0 && log_enabled(LogLevel::kDebug)) {
    log_line(LogLevel::kDebug, "wsgid: " + who_ + " closed " + std::to_string(closed) +
                                   " worker connection(s) idle for " +
                                   std::to_string(kParkedIdleNs / 1'000'000'000) + " s");
  }
  return next;
}

}  // namespace wsgid::python
