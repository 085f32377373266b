// The daemon process as a whole: its descriptors, request threads and drain. What a request
// thread does with a connection is request_dispatch.cpp; where idle connections wait is
// connection_parking.cpp; what makes the process recycle is recycle_watch.cpp.
#include "daemon_loop.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "connection_parking.hpp"
#include "control_signals.hpp"
#include "daemon_clock.hpp"
#include "daemon_startup.hpp"
#include "drain_reason.hpp"
#include "error_log.hpp"
#include "fd_guard.hpp"
#include "interpreter.hpp"
#include "peer_auth.hpp"
#include "process_status.hpp"
#include "recycle_watch.hpp"
#include "request_dispatch.hpp"
#include "sized_thread.hpp"
#include "unique_fd.hpp"
#include "worker_connection.hpp"

namespace wsgid::python {
namespace {

std::string describe_process(const wsgid_daemon_spec& spec) {
  if (spec.embedded != 0) return "embedded Python in worker pid " + std::to_string(::getpid());
  return std::string("daemon group ") + (spec.group_name ? spec.group_name : "?") + " pid " +
         std::to_string(::getpid());
}

class Daemon {
 public:
  explicit Daemon(const wsgid_daemon_spec& spec)
      : spec_(spec),
        who_(describe_process(spec)),
        status_(spec.process_slot, spec.group_slot),
        listen_fd_(spec.listen_fd),
        lot_(draining_, who_),
        watch_(spec, status_, who_),
        dispatcher_(
            spec, who_, status_, watch_, [this](DrainReason r) { request_drain(r); },
            [this] { return keep_alive_allowed(); }) {}

  int run();
  // An application that closed the daemon's listening socket, epoll set or log leaves a
  // process that can neither accept nor wait (epoll_wait would fail at once, for ever): exit
  // for the parent to replace (WSGID0232 there). Nothing can be drained without those fds.
  void check_own_fds() {
    std::string lost;
    {
      // A drain closes the listening socket itself: under this lock it either has not yet (the
      // fd is intact) or draining_ is already set (drain sets it before taking the lock).
      std::shared_lock lock(listen_mutex_);
      if (draining_) return;
      lost = own_fds_.lost();
    }
    if (lost.empty()) return;
    log_line(LogLevel::kError, "WSGID0562: " + who_ + ": the application closed the daemon's " +
                                   "own descriptors (" + lost +
                                   "); exiting at once to be replaced, requests in flight fail");
    ::_exit(WSGID_EXIT_FDS_LOST);
  }
  // After a request. A check's fstat calls (one per watched descriptor) cost about 6 µs, 4 % of a
  // small request's CPU (docs/performance.md, "Issue 17, third round"), so under load they run at
  // most once per kFdCheckNs; a request that finds a check that recent owes one instead, which
  // the thread pays when it next waits (fd_check_wait_ms): an application that closed them is
  // still noticed within kFdCheckNs of its request, busy or idle.
  void check_own_fds_after_request() {
    const std::int64_t now = now_ns();
    if (now - fds_checked_ns_.load(std::memory_order_relaxed) < kFdCheckNs) {
      fd_check_owed_.store(true, std::memory_order_relaxed);
      return;
    }
    fds_checked_ns_.store(now, std::memory_order_relaxed);
    fd_check_owed_.store(false, std::memory_order_relaxed);
    check_own_fds();
  }
  // How long a free request thread may wait for work: for ever, or until the owed check.
  int fd_check_wait_ms() const {
    return fd_check_owed_.load(std::memory_order_relaxed) ? kFdCheckNs / 1'000'000 : -1;
  }
  void failed_to_start() const {
    status_.startup_failed(startup_cause_.empty()
                               ? "WSGID0513: the daemon failed to start (see the error log)"
                               : startup_cause_);
    status_.exiting(WSGID_EXIT_STARTUP_FAILED);
  }

 private:
  bool open_descriptors();
  void watch_own_fds();
  void start_threads();
  void request_thread(ThreadSlot& slot);
  std::unique_ptr<WorkerConnection> accept_connection();
  Greeting await_fresh_hello(WorkerConnection& wc);
  void serve_owing_hello(ThreadSlot& slot);
  bool keep_alive_allowed() const;
  void answer_backlog(const std::string& cause);
  void request_drain(DrainReason reason);
  DrainReason wait_for_drain_reason();
  int drain(DrainReason reason);

  const wsgid_daemon_spec& spec_;
  const std::string who_;                  // this process in log lines
  std::optional<PeerPolicy> peer_policy_;  // made in run(), once logging is set up
  ProcessStatus status_;
  UniqueFd signal_fd_;              // control signals, one byte each (see control_signals.hpp)
  UniqueFd stop_fd_;                // readable once draining: request threads stop accepting
  UniqueFd control_fd_;             // request threads -> main thread: a drain was asked for
  UniqueFd done_fd_;                // the last request thread has finished
  std::shared_mutex listen_mutex_;  // exclusive only to close listen_fd_ while threads poll it
  int listen_fd_;
  std::atomic<bool> draining_{false};
  std::atomic<DrainReason> requested_{DrainReason::kNone};
  ParkingLot lot_;
  RecycleWatch watch_;
  Dispatcher dispatcher_;
  std::atomic<int> open_connections_{0};
  std::atomic<int> running_threads_{0};
  std::vector<std::unique_ptr<SizedThread>> threads_;
  std::thread gil_probe_;
  FdGuard own_fds_;  // watched after requests; empty in embedded mode (httpd's process)
  static constexpr std::int64_t kFdCheckNs = 50'000'000;
  std::atomic<std::int64_t> fds_checked_ns_{0};
  std::atomic<bool> fd_check_owed_{false};
  // Why start-up failed, in one line (code, what, the exception's last line): what workers
  // answer with while the group cannot start; the whole traceback is logged once.
  std::string startup_cause_;
};

// Requests already queued in the group's backlog when a start fails would wait there for
// socket-timeout: the next process fails too, and workers answer only new requests at once
// (WSGID0160). Answer them now with the cause (503, WSGID0563), unless a sibling is READY to
// serve them. Bounded: at most half a second and 1024 connections.
void Daemon::answer_backlog(const std::string& cause) {
  if (spec_.embedded != 0 || listen_fd_ < 0) return;
  if (spec_.group_slot != nullptr) {
    for (const wsgid_process_slot& p : spec_.group_slot->processes_slots) {
      if (&p != spec_.process_slot &&
          __atomic_load_n(&p.state, __ATOMIC_RELAXED) == WSGID_PROCESS_READY) {
        return;
      }
    }
  }
  const std::string message = "the daemon group cannot start: " +
                              (cause.empty() ? std::string("see the daemon's log lines") : cause);
  const std::int64_t deadline = now_ns() + 500'000'000;
  for (int i = 0; i < 1024 && now_ns() < deadline; ++i) {
    pollfd ready{listen_fd_, POLLIN, 0};
    if (::poll(&ready, 1, 0) <= 0) return;
    std::unique_ptr<WorkerConnection> wc = accept_connection();
    if (!wc) continue;  // refused (logged), or taken by a sibling
    Greeting greeting = greet(*wc, *peer_policy_, who_);
    if (greeting == Greeting::kWaiting) {
      pollfd in{wc->conn.fd(), POLLIN, 0};
      ::poll(&in, 1, 100);  // a queued worker sent its Hello with the request
      greeting = greet(*wc, *peer_policy_, who_);
    }
    if (greeting != Greeting::kGreeted) continue;
    std::string frame;
    wire::append_error(frame, 503, "WSGID0563", message);
    try {
      wc->conn.write_all(frame);
    } catch (const ConnectionError&) {
      // The worker gave up on it already.
    }
  }
}

// Another request on this connection is promised only while this process holds no more
// connections than it has threads. A connection belongs to one process, so a surplus would
// make requests wait here for a thread while another process of the group has one free; with
// at most `threads` connections, every request on one finds a free thread at once, and the
// rest queue in the listening socket's backlog, shared by the whole group, as before.
//
// And a connection stays with one process, while the GIL makes a group's CPU parallelism come
// from its processes: so a process that holds more connections than a sibling (by more than
// one) lets this one go too. The worker's next connection is accepted by whichever process has
// a thread waiting first, and the group's connections even out.
bool Daemon::keep_alive_allowed() const {
  if (draining_ || requested_.load() != DrainReason::kNone) return false;
  const int mine = open_connections_.load();
  if (mine > spec_.threads) return false;
  if (spec_.group_slot == nullptr || spec_.process_slot == nullptr) return true;
  for (const wsgid_process_slot& sibling : spec_.group_slot->processes_slots) {
    if (&sibling == spec_.process_slot) continue;
    if (__atomic_load_n(&sibling.state, __ATOMIC_RELAXED) != WSGID_PROCESS_READY) continue;
    if (mine > __atomic_load_n(&sibling.connections, __ATOMIC_RELAXED) + 1) return false;
  }
  return true;
}

std::unique_ptr<WorkerConnection> Daemon::accept_connection() {
  int fd = -1;
  {
    std::shared_lock lock(listen_mutex_);
    if (listen_fd_ < 0) return nullptr;
    fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    const int accept_errno = errno;
    lot_.rearm_listener(listen_fd_);  // whatever accept4 said: the next connection needs it
    errno = accept_errno;
  }
  if (fd < 0) {
    // EAGAIN is normal: the other threads and processes of the group share the socket.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED ||
        errno == EPROTO) {
      return nullptr;
    }
    log_line(LogLevel::kError, std::string("WSGID0519: accept on the daemon socket failed: ") +
                                   std::strerror(errno) + " (raise the open-files limit?)");
    pollfd p{stop_fd_.get(), POLLIN, 0};
    ::poll(&p, 1, 100);  // back off instead of spinning while the condition lasts
    return nullptr;
  }
  // The default send buffer of a UNIX socket (~208 KiB) splits a 1 MiB body frame into several
  // writes, each waiting for the worker to read; a larger one lets it go in one.
  const int sndbuf = 1 << 20;  // the kernel doubles it; capped by net.core.wmem_max
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  auto wc = std::make_unique<WorkerConnection>(
      fd, spec_.socket_timeout, open_connections_,
      spec_.process_slot ? &spec_.process_slot->connections : nullptr);
  // Checked once per connection, not per request; the Hello follows (greet).
  const std::optional<Peer> peer = PeerPolicy::peer_of(fd);
  if (!peer) {
    log_line(LogLevel::kError,
             std::string("WSGID0504: ") + who_ +
                 " cannot read the peer credentials of a connection: " + std::strerror(errno));
    return nullptr;
  }
  wc->peer = *peer;
  wc->hello_due_ns = now_ns() + kHelloTimeoutNs;
  if (auto why = peer_policy_->check_peer(*peer, fd)) {
    refuse(who_, *peer, *why);
    return nullptr;
  }
  if (log_enabled(LogLevel::kDebug)) {
    log_line(LogLevel::kDebug,
             "connection from worker " + peer->describe() + " on fd " + std::to_string(fd));
  }
  return wc;
}

// Waits up to kFreshHelloWaitNs for the Hello of the connection this thread just accepted.
Greeting Daemon::await_fresh_hello(WorkerConnection& wc) {
  const std::int64_t until = now_ns() + kFreshHelloWaitNs;
  for (std::int64_t left = kFreshHelloWaitNs; left > 0 && !draining_; left = until - now_ns()) {
    pollfd in{wc.conn.fd(), POLLIN, 0};
    if (::poll(&in, 1, static_cast<int>(left / 1'000'000) + 1) <= 0) continue;
    if (const Greeting g = greet(wc, *peer_policy_, who_); g != Greeting::kWaiting) return g;
  }
  return Greeting::kWaiting;
}

// A connection accepted before the drain whose Hello had not arrived yet (the worker connects,
// then writes): the worker's request is on its way, and on a new connection it could not be
// sent again (only a reused connection's request is kept for that), so it is served like any
// accepted connection, not answered with GoAway. Its Hello is still due kHelloTimeoutNs after
// it was parked; a silent peer holds this draining thread no longer than that.
void Daemon::serve_owing_hello(ThreadSlot& slot) {
  while (std::unique_ptr<WorkerConnection> wc = lot_.take_owing_hello()) {
    Greeting g = greet(*wc, *peer_policy_, who_);
    while (g == Greeting::kWaiting) {
      const std::int64_t left_ns = wc->hello_due_ns - now_ns();
      pollfd p{wc->conn.fd(), POLLIN, 0};
      if (left_ns <= 0 || ::poll(&p, 1, static_cast<int>(left_ns / 1'000'000 + 1)) == 0) {
        refuse(who_, wc->peer, no_hello());
        break;
      }
      g = greet(*wc, *peer_policy_, who_);
    }
    if (g != Greeting::kGreeted) continue;
    bool keep = dispatcher_.serve(wc->conn, slot, realtime_us());
    while (keep && wc->conn.has_buffered_input()) {
      keep = dispatcher_.serve(wc->conn, slot, realtime_us());
    }
    if (keep) wc->conn.send_go_away();
  }
}

void Daemon::request_drain(DrainReason reason) {
  DrainReason expected = DrainReason::kNone;
  if (requested_.compare_exchange_strong(expected, reason)) {
    status_.draining();  // decided: the main thread closes the listening socket next
    notify(control_fd_.get());
  }
}

void Daemon::request_thread(ThreadSlot& slot) {
  while (!draining_) {
    epoll_event ev{};
    const int ready = lot_.wait(ev, fd_check_wait_ms());
    if (ready == 0) {  // the check a recent request owes, now that nothing else is waiting
      check_own_fds_after_request();
      continue;
    }
    if (ready < 0) {
      if (errno != EINTR) check_own_fds();  // EBADF: the app closed the epoll set
      continue;
    }
    // A drain decided (maximum-requests reached, a signal) but not yet begun by the main thread
    // takes no new work either: what this thread would take next (a parked connection's
    // request, a pending connection) is answered GoAway or left queued for the replacement.
    if (ev.data.u64 == ParkingLot::kStopKey || draining_ ||
        requested_.load() != DrainReason::kNone) {
      break;
    }
    const std::int64_t taken_us = realtime_us();
    auto wc =
        ev.data.u64 == ParkingLot::kListenKey ? accept_connection() : lot_.unpark(ev.data.u64);
    if (!wc) continue;
    if (!wc->greeted) {
      Greeting g = greet(*wc, *peer_policy_, who_);
      if (g == Greeting::kWaiting && ev.data.u64 == ParkingLot::kListenKey) {
        g = await_fresh_hello(*wc);
      }
      if (g == Greeting::kWaiting) lot_.park(std::move(wc));
      if (g != Greeting::kGreeted) continue;
    }
    // Requests the worker sent before this thread read the last body's RequestEnd are already
    // buffered: serve them here, since the socket will not become readable for them again.
    bool keep = dispatcher_.serve(wc->conn, slot, taken_us);
    while (keep && wc->conn.has_buffered_input() && !draining_) {
      keep = dispatcher_.serve(wc->conn, slot, realtime_us());
    }
    check_own_fds_after_request();
    if (keep) lot_.park(std::move(wc));
  }
  serve_owing_hello(slot);
  // The stop eventfd stays readable; a fresh write wakes the next thread still in epoll_wait.
  notify(stop_fd_.get());
  release_thread_states();
  if (--running_threads_ == 0) notify(done_fd_.get());
}

DrainReason Daemon::wait_for_drain_reason() {
  for (;;) {
    if (const DrainReason r = requested_.load(); r != DrainReason::kNone) return r;
    const std::int64_t now = now_ns();
    std::int64_t wait_ns = -1;
    if (const auto r = watch_.overdue_request(now, wait_ns)) return *r;
    if (const auto r = watch_.over_limits(now, wait_ns)) return *r;
    const std::int64_t sweep_ns = lot_.close_idle(now);
    wait_ns = wait_ns < 0 ? sweep_ns : std::min(wait_ns, sweep_ns);
    if (const auto r = watch_.inactive(now, wait_ns)) return *r;
    // lot_.sweep_fd(): a ring to release before wait_ns; close_idle() reads it and says when.
    pollfd p[3] = {{signal_fd_.get(), POLLIN, 0},
                   {control_fd_.get(), POLLIN, 0},
                   {lot_.sweep_fd(), POLLIN, 0}};
    const int timeout_ms = wait_ns < 0 ? -1 : static_cast<int>(wait_ns / 1'000'000 + 1);
    if (::poll(p, 3, timeout_ms) <= 0) continue;
    if (p[0].revents != 0) {
      if (const int signo = read_control_signal(signal_fd_.get()); signo != 0) {
        return signo == SIGUSR1 ? DrainReason::kGraceful : DrainReason::kStop;
      }
    }
    // control_fd_: loop round to read requested_.
  }
}

int Daemon::drain(DrainReason reason) {
  const bool stopping = reason == DrainReason::kStop;
  double timeout = stopping ? spec_.shutdown_timeout : spec_.graceful_timeout;
  if (reason == DrainReason::kRequestTimeout && timeout <= 0) timeout = 5;  // it is stuck
  lot_.close_all();                                                         // sets draining_
  status_.draining();
  notify(stop_fd_.get());
  {
    std::unique_lock lock(listen_mutex_);
    lot_.forget_listener(listen_fd_);
    ::close(listen_fd_);  // never shutdown(): the next generation of daemons shares it
    listen_fd_ = -1;
  }
  log_line(LogLevel::kNotice, "wsgid: " + who_ + " draining (" + describe(reason) + "), " +
                                  std::to_string(watch_.in_flight()) + " requests in flight");
  std::optional<std::int64_t> deadline;
  if (timeout > 0) deadline = now_ns() + seconds_ns(timeout);
  while (running_threads_ > 0) {
    int timeout_ms = -1;
    if (deadline) {
      const std::int64_t left = *deadline - now_ns();
      if (left <= 0) {
        log_line(LogLevel::kError,
                 "WSGID0517: " + who_ + ": " + std::to_string(watch_.in_flight()) +
                     " requests still running after " + std::to_string(timeout) +
                     "s of draining; forcing exit (raise graceful-timeout/shutdown-timeout?)");
        status_.exiting(exit_reason(reason));
        if (spec_.embedded != 0) {
          // Never exit httpd's worker for it: the worker is exiting anyway and its threads
          // stop with it.
          (void)signal_fd_.release();
          return 0;
        }
        ::_exit(0);
      }
      timeout_ms = static_cast<int>(left / 1'000'000 + 1);
    }
    pollfd p[2] = {{done_fd_.get(), POLLIN, 0}, {signal_fd_.get(), POLLIN, 0}};
    if (::poll(p, 2, timeout_ms) <= 0) continue;
    if (p[1].revents != 0) {
      const int signo = read_control_signal(signal_fd_.get());
      if (signo != 0 && signo != SIGUSR1 && spec_.shutdown_timeout > 0) {
        // A stop during a graceful drain shortens it to shutdown-timeout.
        const std::int64_t stop_deadline = now_ns() + seconds_ns(spec_.shutdown_timeout);
        deadline = deadline ? std::min(*deadline, stop_deadline) : stop_deadline;
        timeout = spec_.shutdown_timeout;
      }
    }
  }
  for (auto& t : threads_) t->join();
  if (gil_probe_.joinable()) gil_probe_.join();
  if (spec_.embedded != 0) (void)signal_fd_.release();
  run_exit_functions();
  log_line(LogLevel::kNotice, "wsgid: " + who_ + " exiting (" + describe(reason) + ")");
  status_.exiting(exit_reason(reason));
  return 0;
}

bool Daemon::open_descriptors() {
  // Embedded in an httpd worker, httpd owns the signals: drain requests come on a pipe (the
  // same one-byte-per-signal format), which stays the caller's (released, never closed).
  signal_fd_ = UniqueFd(spec_.embedded != 0 ? spec_.control_fd : install_control_signals());
  stop_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  control_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  done_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  const bool watched = lot_.open(stop_fd_.get(), listen_fd_);
  return signal_fd_.get() >= 0 && stop_fd_.get() >= 0 && control_fd_.get() >= 0 &&
         done_fd_.get() >= 0 && watched;
}

void Daemon::watch_own_fds() {
  if (spec_.embedded != 0) return;
  own_fds_.watch(listen_fd_, "the group's listening socket");
  own_fds_.watch(lot_.epoll_fd(), "the daemon's epoll set");
  own_fds_.watch(lot_.sweep_fd(), "the idle sweep eventfd");
  own_fds_.watch(stop_fd_.get(), "the stop eventfd");
  own_fds_.watch(control_fd_.get(), "the control eventfd");
  own_fds_.watch(done_fd_.get(), "the done eventfd");
  own_fds_.watch(signal_fd_.get(), "the signal fd");
  own_fds_.watch(2, "the error log");
  if (spec_.log_fd > 2) own_fds_.watch(spec_.log_fd, "the error log pipe");
}

void Daemon::start_threads() {
  watch_.start(spec_.threads);
  running_threads_ = spec_.threads;
  for (int i = 0; i < spec_.threads; ++i) {
    ThreadSlot& slot = watch_.slot(i);
    threads_.push_back(
        std::make_unique<SizedThread>(spec_.stack_size, [this, &slot] { request_thread(slot); }));
  }
  if (spec_.deadlock_timeout > 0 && spec_.embedded == 0) {
    gil_probe_ = std::thread([this] { watch_.probe_gil(draining_, stop_fd_.get()); });
  }
}

int Daemon::run() {
  init_log_level(spec_.log_level);
  set_log_fd(spec_.log_fd);
  peer_policy_.emplace(spec_);
  status_.starting(spec_.threads);
  if (spec_.threads < 1 || spec_.listen_fd < 0) {
    log_line(LogLevel::kError, "WSGID0516: " + who_ + ": invalid daemon spec (threads=" +
                                   std::to_string(spec_.threads) +
                                   ", listen_fd=" + std::to_string(spec_.listen_fd) + ")");
    failed_to_start();
    return WSGID_EXIT_STARTUP_FAILURE;
  }
  if (!open_descriptors()) {
    log_line(LogLevel::kError,
             std::string("WSGID0513: ") + who_ +
                 ": cannot set up signal handling/eventfds: " + std::strerror(errno));
    failed_to_start();
    return WSGID_EXIT_STARTUP_FAILURE;
  }
  bool started = false;
  {
    StartupWatchdog watchdog(spec_, status_, who_);
    started = start_daemon_python(spec_, who_, startup_cause_);
  }
  if (!started) {
    if (spec_.embedded != 0) (void)signal_fd_.release();
    failed_to_start();
    answer_backlog(startup_cause_);
    return WSGID_EXIT_STARTUP_FAILURE;
  }
  watch_own_fds();
  status_.ready();  // the threads' first accept follows
  start_threads();
  log_line(LogLevel::kNotice,
           "wsgid: " + who_ + " ready, " + std::to_string(spec_.threads) + " threads");
  return drain(wait_for_drain_reason());
}

}  // namespace

int daemon_main(const wsgid_daemon_spec* spec) noexcept {
  static Daemon* daemon = nullptr;  // lives until exit: threads may outlive a forced drain
  try {
    if (spec == nullptr || spec->abi_version != WSGID_PYTHON_ABI_VERSION) {
      log_line(LogLevel::kError,
               "WSGID0516: mod_wsgid and wsgid_python.so disagree on the ABI version (got " +
                   std::to_string(spec ? spec->abi_version : 0) + ", want " +
                   std::to_string(WSGID_PYTHON_ABI_VERSION) +
                   "); install both from the same build");
      return WSGID_EXIT_STARTUP_FAILURE;
    }
    daemon = new Daemon(*spec);
    return daemon->run();
  } catch (const std::exception& e) {
    log_line(LogLevel::kError, std::string("WSGID0513: daemon failed: ") + e.what());
  } catch (...) {
    log_line(LogLevel::kError, "WSGID0513: daemon failed with an unknown error");
  }
  if (daemon != nullptr) daemon->failed_to_start();
  return WSGID_EXIT_STARTUP_FAILURE;
}

}  // namespace wsgid::python
