#include "daemon_loop.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connection.hpp"
#include "control_signals.hpp"
#include "error_log.hpp"
#include "fd_guard.hpp"
#include "hook_runner.hpp"
#include "interpreter.hpp"
#include "path_audit.hpp"
#include "peer_auth.hpp"
#include "process_status.hpp"
#include "script_loader.hpp"
#include "unique_fd.hpp"
#include "wsgi_adapter.hpp"

namespace wsgid::python {
namespace {

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t seconds_ns(double s) { return static_cast<std::int64_t>(s * 1e9); }

void notify(int efd) {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(efd, &one, sizeof one);
}

enum class DrainReason {
  kNone,
  kStop,
  kGraceful,
  kMaximumRequests,
  kRequestTimeout,
  kInactivity,
  kScriptModified,
  kCpuTimeLimit,
  kMemoryLimit,
  kRestartInterval
};

wsgid_exit_reason exit_reason(DrainReason r) {
  switch (r) {
    case DrainReason::kMaximumRequests:
      return WSGID_EXIT_MAXIMUM_REQUESTS;
    case DrainReason::kRequestTimeout:
      return WSGID_EXIT_REQUEST_TIMEOUT;
    case DrainReason::kInactivity:
      return WSGID_EXIT_INACTIVITY_TIMEOUT;
    case DrainReason::kScriptModified:
      return WSGID_EXIT_RELOAD;
    case DrainReason::kCpuTimeLimit:
      return WSGID_EXIT_CPU_TIME_LIMIT;
    case DrainReason::kMemoryLimit:
      return WSGID_EXIT_MEMORY_LIMIT;
    case DrainReason::kRestartInterval:
      return WSGID_EXIT_RESTART_INTERVAL;
    case DrainReason::kNone:
    case DrainReason::kStop:
    case DrainReason::kGraceful:
      break;
  }
  return WSGID_EXIT_SHUTDOWN;
}

const char* describe(DrainReason r) {
  switch (r) {
    case DrainReason::kNone:
      return "none";
    case DrainReason::kStop:
      return "stop requested";
    case DrainReason::kGraceful:
      return "graceful restart";
    case DrainReason::kMaximumRequests:
      return "maximum-requests reached";
    case DrainReason::kRequestTimeout:
      return "request-timeout exceeded";
    case DrainReason::kInactivity:
      return "inactivity-timeout reached";
    case DrainReason::kScriptModified:
      return "WSGI script modified";
    case DrainReason::kCpuTimeLimit:
      return "cpu-time-limit reached";
    case DrainReason::kMemoryLimit:
      return "memory-limit exceeded";
    case DrainReason::kRestartInterval:
      return "restart-interval elapsed";
  }
  return "unknown";
}

// CPU time (user + system) of the whole process, all threads.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Resident set size from /proc/self/statm (its second field, in pages); 0 if unreadable.
std::uint64_t resident_bytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128] = {};
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// How often the limits that can only be sampled (CPU time, RSS, the GIL probe) are looked at.
constexpr std::int64_t kSampleIntervalNs = 250'000'000;

// A thread with a chosen stack size (stack-size=), which std::thread cannot give.
class SizedThread {
 public:
  SizedThread(std::size_t stack_size, std::function<void()> body)
      : body_(std::make_unique<std::function<void()>>(std::move(body))) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack_size > 0 && pthread_attr_setstacksize(&attr, stack_size) != 0) {
      log_line(LogLevel::kWarn, "wsgid: stack-size=" + std::to_string(stack_size) +
                                    " refused by the system; using the default");
    }
    const int rc = pthread_create(&thread_, &attr, &SizedThread::trampoline, body_.get());
    pthread_attr_destroy(&attr);
    if (rc != 0) throw std::runtime_error(std::string("pthread_create: ") + std::strerror(rc));
    joinable_ = true;
  }
  ~SizedThread() { join(); }
  SizedThread(const SizedThread&) = delete;
  SizedThread& operator=(const SizedThread&) = delete;
  void join() {
    if (joinable_) pthread_join(thread_, nullptr);
    joinable_ = false;
  }

 private:
  static void* trampoline(void* arg) {
    (*static_cast<std::function<void()>*>(arg))();
    return nullptr;
  }
  std::unique_ptr<std::function<void()>> body_;
  pthread_t thread_{};
  bool joinable_ = false;
};

// Per request thread: when its current request started (0 = idle), for request-timeout.
struct ThreadSlot {
  std::atomic<std::int64_t> started_ns{0};
  std::mutex mutex;     // guards `request`
  std::string request;  // what it is serving, for the request-timeout log line
};

// A worker connection while this process holds it, counted so the process can tell when it
// holds more connections than it has threads (see Daemon::keep_alive_allowed).
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

// A parked connection unused this long is closed (GoAway). Otherwise an httpd worker child that
// has gone quiet would keep its share of this process's connections for as long as it lives,
// and those count against keep-alive for the busy children (Daemon::keep_alive_allowed).
constexpr std::int64_t kParkedIdleNs = 10'000'000'000;

// A new connection must send its Hello within this (a worker sends it with the request head, in
// the same write). Until then it is parked, so a peer that connects and says nothing holds no
// request thread, and is closed after this.
constexpr std::int64_t kHelloTimeoutNs = 5'000'000'000;

Refusal no_hello() {
  return Refusal{"WSGID0542", "it sent no Hello within " +
                                  std::to_string(kHelloTimeoutNs / 1'000'000'000) +
                                  " s of connecting"};
}

// epoll keys: the stop eventfd, the listening socket, then one fresh key per parking.
constexpr std::uint64_t kStopKey = 0;
constexpr std::uint64_t kListenKey = 1;

class Daemon {
 public:
  explicit Daemon(const wsgid_daemon_spec& spec)
      : spec_(spec), status_(spec.process_slot, spec.group_slot), listen_fd_(spec.listen_fd) {
    settings_.multithread = spec.threads > 1;
    settings_.multiprocess = spec.processes > 1 || spec.multiprocess_option != 0;
    settings_.run_once = spec.threads == 1 && spec.maximum_requests == 1;
  }

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
    log_line(LogLevel::kError, "WSGID0562: " + who() + ": the application closed the daemon's " +
                                   "own descriptors (" + lost +
                                   "); exiting at once to be replaced, requests in flight fail");
    ::_exit(WSGID_EXIT_FDS_LOST);
  }
  void failed_to_start() const {
    status_.startup_failed(startup_cause_.empty()
                               ? "WSGID0513: the daemon failed to start (see the error log)"
                               : startup_cause_);
    status_.exiting(WSGID_EXIT_STARTUP_FAILED);
  }

 private:
  bool start_up();
  void request_thread(ThreadSlot& slot);
  std::unique_ptr<WorkerConnection> accept_connection();
  std::unique_ptr<WorkerConnection> unpark(std::uint64_t key);
  void park(std::unique_ptr<WorkerConnection> wc);
  void close_parked();
  void serve_owing_hello(ThreadSlot& slot);
  std::int64_t close_idle_parked(std::int64_t now);
  bool keep_alive_allowed() const;
  bool serve(WorkerConnection& wc, ThreadSlot& slot, std::int64_t taken_us);
  enum class Greeting { kGreeted, kWaiting, kRefused };
  Greeting greet(WorkerConnection& wc);
  void answer_backlog(const std::string& cause);
  void refuse(const Peer& peer, const Refusal& why) const;
  void request_drain(DrainReason reason);
  DrainReason wait_for_drain_reason();
  std::optional<DrainReason> check_limits(std::int64_t now, std::int64_t& wait_ns);
  void probe_gil();
  void start_watchdog(UniqueFd& ready_fd, std::thread& watchdog);
  int drain(DrainReason reason);
  std::string who() const {
    if (spec_.embedded != 0) return "embedded Python in worker pid " + std::to_string(::getpid());
    return std::string("daemon group ") + (spec_.group_name ? spec_.group_name : "?") + " pid " +
           std::to_string(::getpid());
  }

  const wsgid_daemon_spec& spec_;
  std::optional<PeerPolicy> peer_policy_;  // made in run(), once logging is set up
  GroupSettings settings_;
  ProcessStatus status_;
  UniqueFd signal_fd_;              // control signals, one byte each (see control_signals.hpp)
  UniqueFd stop_fd_;                // readable once draining: request threads stop accepting
  UniqueFd control_fd_;             // request threads -> main thread: a drain was asked for
  UniqueFd done_fd_;                // the last request thread has finished
  std::shared_mutex listen_mutex_;  // exclusive only to close listen_fd_ while threads poll it
  int listen_fd_;
  std::atomic<bool> draining_{false};
  std::atomic<DrainReason> requested_{DrainReason::kNone};
  std::atomic<long> requests_taken_{0};  // maximum-requests counts requests, not connections
  // Idle worker connections wait here, not in a thread: a free request thread takes whichever
  // becomes readable (EPOLLONESHOT: exactly one), or the listening socket's next connection.
  UniqueFd epoll_fd_;
  std::mutex park_mutex_;  // guards parked_, owing_hello_, next_key_ and draining_'s transition
  std::unordered_map<std::uint64_t, std::unique_ptr<WorkerConnection>> parked_;
  // Draining: accepted connections whose Hello had not come yet (serve_owing_hello).
  std::vector<std::unique_ptr<WorkerConnection>> owing_hello_;
  std::uint64_t next_key_ = kListenKey + 1;
  std::atomic<int> open_connections_{0};
  std::atomic<int> running_threads_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<std::int64_t> last_activity_ns_{now_ns()};
  std::vector<std::unique_ptr<ThreadSlot>> slots_;
  std::vector<std::unique_ptr<SizedThread>> threads_;
  std::int64_t ready_ns_ = 0;
  // deadlock-timeout: when the probe thread last held the GIL.
  std::atomic<std::int64_t> gil_seen_ns_{0};
  std::thread gil_probe_;
  FdGuard own_fds_;  // watched after each request; empty in embedded mode (httpd's process)
  // Why start_up() failed, in one line (code, what, the exception's last line): what workers
  // answer with while the group cannot start; the whole traceback is logged once, here.
  std::string startup_cause_;
};

// The last non-empty line of a traceback or message: the exception's type and text.
std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const auto nl = text.rfind('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

bool Daemon::start_up() {
  std::string error;
  reload_changed_scripts_in_place(spec_.embedded != 0);  // no process of its own to recycle
  if (!start_python(spec_, error)) {
    const std::string home = spec_.python_home ? spec_.python_home : "";
    startup_cause_ = "WSGID0513: Python failed to start: " + last_line(error);
    log_text(LogLevel::kError,
             "WSGID0513: " + who() + ": Python failed to start: " + error +
                 (home.empty() ? std::string("; check python-path, lang and locale")
                               : "; check that python-home '" + home +
                                     "' is a Python 3.11 installation or virtualenv"));
    return false;
  }
  {
    PyThreadState* main_state = thread_state_for("", error);
    GilScope gil(main_state);
    if (!adapter_types_ready()) {
      PyErr_Print();
      startup_cause_ = "WSGID0513: cannot create the WSGI types";
      log_line(LogLevel::kError, "WSGID0513: " + who() + ": cannot create the WSGI types");
      return false;
    }
  }
  if (spec_.fs_learning != 0) {
    // Before the preloads, so what the app opens while it is imported is seen too.
    install_path_audit(
        who(), std::vector<std::string>(spec_.fs_read, spec_.fs_read + spec_.fs_read_count),
        std::vector<std::string>(spec_.fs_write, spec_.fs_write + spec_.fs_write_count));
  }
  for (std::size_t i = 0; i < spec_.preload_count; ++i) {
    const wsgid_preload& p = spec_.preload[i];
    const std::string group = p.application_group ? p.application_group : "";
    const std::string script = p.script_path ? p.script_path : "";
    PyThreadState* state = thread_state_for(group, error);
    if (state == nullptr) {
      startup_cause_ = "WSGID0512: " + last_line(error);
      log_text(LogLevel::kError, "WSGID0512: " + error);
      return false;
    }
    GilScope gil(state);
    LoadFailure failure;
    const bool ok = p.callable_object != nullptr
                        ? static_cast<bool>(load_callable(script, p.callable_object, failure))
                        : static_cast<bool>(load_script(script, failure));
    if (!ok) {
      startup_cause_ = "WSGID0514: loading '" + script + "' failed: " + failure.code + ": " +
                       last_line(failure.message);
      log_text(LogLevel::kError, "WSGID0514: " + who() + ": preloading '" + script +
                                     "' (application group '" + group +
                                     "') failed: " + failure.code + ": " + failure.message);
      return false;
    }
  }
  if (spec_.apply_sandbox != nullptr) {
    char err[1024] = {};
    if (spec_.apply_sandbox(spec_.sandbox_ctx, err, sizeof err) != 0) {
      err[sizeof err - 1] = '\0';
      startup_cause_ = std::string("WSGID0515: the sandbox could not be applied: ") +
                       (err[0] ? err : "no reason given");
      log_line(LogLevel::kError, "WSGID0515: " + who() + ": the sandbox could not be applied: " +
                                     (err[0] ? err : "no reason given"));
      return false;
    }
  }
  return true;
}

// The worker may still be sending a body the application did not read. Taking a little of it
// (up to RequestEnd) lets the worker finish its send instead of hitting a reset connection; a
// large unread upload is cut off by closing instead.
//
// After a kKeepAlive ResponseEnd the rest is read to RequestEnd whatever its size: the worker
// reuses the connection only if it had sent all of it (it stops sending at ResponseEnd), so
// it is bounded by what is already in flight, and stopping early would close a connection the
// worker may already have sent its next request on.
void discard_rest_of_body(Connection& conn) {
  const std::size_t max_discard =
      conn.keep_alive_promised() ? std::numeric_limits<std::size_t>::max() : 256 * 1024;
  std::size_t discarded = 0;
  try {
    while (!conn.body_complete() && discarded <= max_discard) {
      discarded += conn.next_body_chunk().size();
    }
  } catch (const ConnectionError&) {
    // The response is complete; a worker that stops sending the rest changes nothing.
  }
}

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
    Greeting greeting = greet(*wc);
    if (greeting == Greeting::kWaiting) {
      pollfd in{wc->conn.fd(), POLLIN, 0};
      ::poll(&in, 1, 100);  // a queued worker sent its Hello with the request
      greeting = greet(*wc);
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

void Daemon::refuse(const Peer& peer, const Refusal& why) const {
  log_line(LogLevel::kError, std::string(why.code) + ": " + who() + " refused a connection from " +
                                 peer.describe() + ": " + why.reason);
}

// Takes the connection's Hello if it has arrived, without waiting for it: a peer that connects
// and says nothing is parked like an idle connection, not waited for in a request thread, and
// closed after kHelloTimeoutNs (close_idle_parked).
Daemon::Greeting Daemon::greet(WorkerConnection& wc) {
  std::string_view payload;
  wire::FrameHeader h;
  try {
    if (!wc.conn.try_read_frame(h, payload, wire::kHelloPayloadSize)) return Greeting::kWaiting;
  } catch (const ConnectionError& e) {
    if (e.kind() == ConnectionError::Kind::kProtocol) {
      refuse(wc.peer, Refusal{"WSGID0540", std::string("its first frame is not a Hello (") +
                                               e.what() + "): not an httpd worker"});
    }  // else it went away before saying anything
    return Greeting::kRefused;
  }
  if (auto why = peer_policy_->check_hello(h.type == wire::FrameType::kHello, payload)) {
    refuse(wc.peer, *why);
    return Greeting::kRefused;
  }
  wc.greeted = true;
  return Greeting::kGreeted;
}

// Serves one request on `wc`. True when the connection is at a clean boundary and promised the
// worker another request (ResponseEnd with kKeepAlive, body read to RequestEnd).
bool Daemon::serve(WorkerConnection& wc, ThreadSlot& slot, std::int64_t taken_us) {
  Connection& conn = wc.conn;
  conn.start_next_request();
  std::string head_payload;
  RequestTarget target;
  // Both outlive the try block, so a dropped connection is logged with the request's id and
  // the thread counts as busy until then.
  std::optional<RequestLogScope> request_log;
  std::optional<ProcessStatus::Request> busy;
  try {
    std::string_view payload;
    wire::FrameHeader h;
    h = conn.read_frame(payload);
    // Copied: reading the body later reuses the decoder's buffer the payload points into.
    head_payload.assign(payload);
    wire::Pairs pairs;
    if (h.type != wire::FrameType::kRequestHead || !wire::parse_pairs(head_payload, pairs)) {
      log_line(LogLevel::kError,
               "WSGID0505: " + who() + " dropped a worker connection: expected a request head");
      return false;
    }
    if (const long n = ++requests_taken_;
        spec_.maximum_requests > 0 && n >= spec_.maximum_requests) {
      request_drain(DrainReason::kMaximumRequests);
    }
    busy.emplace(status_);
    std::string inner_script, inner_handler;
    if (spec_.chroot != nullptr && std::strcmp(spec_.chroot, "/") != 0) {
      // The worker names the script as httpd sees it; this process sees it inside chroot=.
      const std::string_view root(spec_.chroot);
      for (auto& [k, v] : pairs) {
        const bool is_script = k == "SCRIPT_FILENAME";
        if ((is_script || k == "mod_wsgi.handler_script") && v.size() > root.size() &&
            v.substr(0, root.size()) == root && v[root.size()] == '/') {
          std::string& inner = is_script ? inner_script : inner_handler;
          inner.assign(v.substr(root.size()));
          v = inner;
        }
      }
    }
    target = request_target(pairs);
    std::int64_t waited_us = -1;
    for (const auto& [k, v] : pairs) {
      if (k == "mod_wsgi.request_id") {
        request_log.emplace(v);
      } else if (k == "mod_wsgi.queue_start") {
        waited_us = status_.observe_queue_wait(v, taken_us);
      }
    }
    if (is_hook_request(pairs)) {
      // WSGIAccessScript/WSGIAuth*Script/WSGIDispatchScript, in a worker's in-process daemon.
      serve_hook(conn, pairs, who());
      return false;  // a hook's answer ends without kKeepAlive: the worker closes
    }
    if (spec_.queue_timeout > 0 && waited_us > spec_.queue_timeout * 1e6) {
      // mod_wsgi's queue-timeout: the client has likely given up; do not run the app.
      const std::string message = "the request waited " + std::to_string(waited_us / 1000) +
                                  " ms for a daemon thread, over queue-timeout=" +
                                  std::to_string(static_cast<long>(spec_.queue_timeout)) +
                                  " s; add processes or threads";
      log_line(LogLevel::kError, "WSGID0525: " + who() + ": " + message, target.client);
      std::string frame;
      wire::append_error(frame, 503, "WSGID0525", message);
      conn.write_all(frame);
      return false;
    }
    if (target.script.empty()) {
      log_line(LogLevel::kError,
               "WSGID0507: request without SCRIPT_FILENAME; the worker must name the script",
               target.client);
      send_internal_error(conn);
      return false;
    }
    {
      std::lock_guard lock(slot.mutex);
      slot.request = "'" + target.script + "'" +
                     (target.client.empty() ? std::string() : " for client " + target.client);
    }
    slot.started_ns = now_ns();
    ++in_flight_;
    struct InFlight {
      Daemon* d;
      ThreadSlot& s;
      ~InFlight() {
        s.started_ns = 0;
        d->last_activity_ns_ = now_ns();
        --d->in_flight_;
      }
    } in_flight{this, slot};
    std::string error;
    PyThreadState* state = thread_state_for(target.application_group, error);
    if (state == nullptr) {
      log_text(LogLevel::kError, "WSGID0512: " + error, target.client);
      send_internal_error(conn);
      return false;
    }
    bool complete = false;
    bool reload_requested = false;
    conn.set_keep_alive_policy([this] { return keep_alive_allowed(); });
    {
      GilScope gil(state);
      std::string hook_error;
      if (target.handler_script && handler_reload_required(target.script, target.resource,
                                                           target.script_reloading, hook_error)) {
        if (spec_.embedded != 0) {
          // Embedded: no process to recycle; run the handler script afresh for this request.
          forget_script(target.script);
        } else {
          reload_requested = true;
        }
      } else if (!hook_error.empty()) {
        log_text(LogLevel::kError,
                 "WSGID0526: " + who() + ": reload_required('" + target.resource +
                     "') of handler script '" + target.script +
                     "' raised, so no reload; fix it:\n" + hook_error,
                 target.client);
      }
      complete = run_wsgi_request(conn, pairs, target, settings_);
    }
    if (reload_requested) {
      log_line(LogLevel::kNotice, "wsgid: " + who() + ": handler script '" + target.script +
                                      "' asked for a reload (reload_required('" + target.resource +
                                      "')); recycling");
      request_drain(DrainReason::kScriptModified);
    }
    if (std::string modified; take_modified_script(modified)) {
      log_line(LogLevel::kNotice,
               "wsgid: " + who() + ": WSGI script '" + modified + "' changed; recycling");
      request_drain(DrainReason::kScriptModified);
    }
    if (complete) discard_rest_of_body(conn);
    return complete && conn.keep_alive_promised() && conn.body_complete() && !conn.broken();
  } catch (const ConnectionError& e) {
    if (e.kind() == ConnectionError::Kind::kPeerGone && !busy && !conn.has_buffered_input()) {
      return false;  // an idle worker connection closed between requests: routine
    }
    log_connection_failure(e.kind(), e.what(), who() + " dropped a worker connection",
                           target.client);
  } catch (const std::exception& e) {
    log_line(LogLevel::kError, std::string("WSGID0505: dropped a worker connection: ") + e.what(),
             target.client);
  }
  return false;
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
             std::string("WSGID0504: ") + who() +
                 " cannot read the peer credentials of a connection: " + std::strerror(errno));
    return nullptr;
  }
  wc->peer = *peer;
  wc->hello_due_ns = now_ns() + kHelloTimeoutNs;
  if (auto why = peer_policy_->check_peer(*peer)) {
    refuse(*peer, *why);
    return nullptr;
  }
  if (log_enabled(LogLevel::kDebug)) {
    log_line(LogLevel::kDebug,
             "connection from worker " + peer->describe() + " on fd " + std::to_string(fd));
  }
  return wc;
}

std::unique_ptr<WorkerConnection> Daemon::unpark(std::uint64_t key) {
  std::lock_guard lock(park_mutex_);
  const auto it = parked_.find(key);
  if (it == parked_.end()) return nullptr;  // closed by a drain meanwhile
  auto wc = std::move(it->second);
  parked_.erase(it);
  return wc;
}

void Daemon::park(std::unique_ptr<WorkerConnection> wc) {
  std::lock_guard lock(park_mutex_);
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
  parked_.emplace(key, std::move(wc));
}

// Draining: no parked connection will be read again. GoAway tells each worker that whatever it
// may have sent on it since the last response was not read, so it resends on a new connection.
void Daemon::close_parked() {
  std::lock_guard lock(park_mutex_);
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

// A connection accepted before the drain whose Hello had not arrived yet (the worker connects,
// then writes): the worker's request is on its way, and on a new connection it could not be
// sent again (only a reused connection's request is kept for that), so it is served like any
// accepted connection, not answered with GoAway. Its Hello is still due kHelloTimeoutNs after
// it was parked; a silent peer holds this draining thread no longer than that.
void Daemon::serve_owing_hello(ThreadSlot& slot) {
  for (;;) {
    std::unique_ptr<WorkerConnection> wc;
    {
      std::lock_guard lock(park_mutex_);
      if (owing_hello_.empty()) return;
      wc = std::move(owing_hello_.back());
      owing_hello_.pop_back();
    }
    Greeting g = greet(*wc);
    while (g == Greeting::kWaiting) {
      const std::int64_t left_ns = wc->hello_due_ns - now_ns();
      pollfd p{wc->conn.fd(), POLLIN, 0};
      if (left_ns <= 0 || ::poll(&p, 1, static_cast<int>(left_ns / 1'000'000 + 1)) == 0) {
        refuse(wc->peer, no_hello());
        break;
      }
      g = greet(*wc);
    }
    if (g != Greeting::kGreeted) continue;
    bool keep = serve(*wc, slot, realtime_us());
    while (keep && wc->conn.has_buffered_input()) keep = serve(*wc, slot, realtime_us());
    if (keep) wc->conn.send_go_away();
  }
}

// Closes (GoAway) the parked connections idle for kParkedIdleNs, and without a word those
// that owe their Hello for kHelloTimeoutNs; returns how long until the next sweep is due (at
// most kHelloTimeoutNs). A request thread that was
// woken for one of them finds it gone (unpark), and a worker that sent a request on it at the
// same moment reads the GoAway and sends it again on a new connection.
std::int64_t Daemon::close_idle_parked(std::int64_t now) {
  std::size_t closed = 0;
  // At least this often: a connection still owing its Hello may be parked meanwhile.
  std::int64_t next = kHelloTimeoutNs;
  {
    std::lock_guard lock(park_mutex_);
    for (auto it = parked_.begin(); it != parked_.end();) {
      WorkerConnection& wc = *it->second;
      // Trickling bytes in does not extend a connection's time to say Hello.
      const std::int64_t left =
          wc.greeted ? wc.parked_ns + kParkedIdleNs - now : wc.hello_due_ns - now;
      if (left > 0) {
        next = std::min(next, left);
        ++it;
        continue;
      }
      if (wc.greeted) {
        wc.conn.send_go_away();
        ++closed;
      } else {
        refuse(wc.peer, no_hello());
      }
      it = parked_.erase(it);
    }
  }
  if (closed > 0 && log_enabled(LogLevel::kDebug)) {
    log_line(LogLevel::kDebug, "wsgid: " + who() + " closed " + std::to_string(closed) +
                                   " worker connection(s) idle for " +
                                   std::to_string(kParkedIdleNs / 1'000'000'000) + " s");
  }
  return next;
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
    if (::epoll_wait(epoll_fd_.get(), &ev, 1, -1) <= 0) {
      if (errno != EINTR) check_own_fds();  // EBADF: the app closed the epoll set
      continue;
    }
    if (ev.data.u64 == kStopKey || draining_) break;
    const std::int64_t taken_us = realtime_us();
    auto wc = ev.data.u64 == kListenKey ? accept_connection() : unpark(ev.data.u64);
    if (!wc) continue;
    if (!wc->greeted) {
      const Greeting g = greet(*wc);
      if (g == Greeting::kWaiting) park(std::move(wc));
      if (g != Greeting::kGreeted) continue;
    }
    // Requests the worker sent before this thread read the last body's RequestEnd are already
    // buffered: serve them here, since the socket will not become readable for them again.
    bool keep = serve(*wc, slot, taken_us);
    while (keep && wc->conn.has_buffered_input() && !draining_) {
      keep = serve(*wc, slot, realtime_us());
    }
    check_own_fds();
    if (keep) park(std::move(wc));
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
    if (spec_.request_timeout > 0) {
      const std::int64_t limit = seconds_ns(spec_.request_timeout);
      wait_ns = limit;
      for (const auto& s : slots_) {
        const std::int64_t started = s->started_ns.load();
        if (started == 0) continue;
        if (now - started >= limit) {
          std::string request;
          {
            std::lock_guard lock(s->mutex);
            request = s->request;
          }
          log_line(LogLevel::kError, "WSGID0518: " + who() + ": the request to " + request +
                                         " has run longer than request-timeout (" +
                                         std::to_string(spec_.request_timeout) +
                                         "s); recycling the process");
          return DrainReason::kRequestTimeout;
        }
        wait_ns = std::min(wait_ns, started + limit - now);
      }
    }
    if (const auto r = check_limits(now, wait_ns)) return *r;
    const std::int64_t sweep_ns = close_idle_parked(now);
    wait_ns = wait_ns < 0 ? sweep_ns : std::min(wait_ns, sweep_ns);
    if (spec_.inactivity_timeout > 0) {
      const std::int64_t limit = seconds_ns(spec_.inactivity_timeout);
      const std::int64_t idle = now - last_activity_ns_.load();
      if (in_flight_ == 0 && idle >= limit) return DrainReason::kInactivity;
      const std::int64_t left = in_flight_ == 0 ? limit - idle : limit;
      wait_ns = wait_ns < 0 ? left : std::min(wait_ns, left);
    }
    pollfd p[2] = {{signal_fd_.get(), POLLIN, 0}, {control_fd_.get(), POLLIN, 0}};
    const int timeout_ms = wait_ns < 0 ? -1 : static_cast<int>(wait_ns / 1'000'000 + 1);
    if (::poll(p, 2, timeout_ms) <= 0) continue;
    if (p[0].revents != 0) {
      if (const int signo = read_control_signal(signal_fd_.get()); signo != 0) {
        return signo == SIGUSR1 ? DrainReason::kGraceful : DrainReason::kStop;
      }
    }
    // control_fd_: loop round to read requested_.
  }
}

// restart-interval, cpu-time-limit, memory-limit and deadlock-timeout. Lowers `wait_ns` to
// when the next one is due.
std::optional<DrainReason> Daemon::check_limits(std::int64_t now, std::int64_t& wait_ns) {
  auto due_in = [&wait_ns](std::int64_t ns) {
    ns = std::max<std::int64_t>(ns, 1'000'000);
    wait_ns = wait_ns < 0 ? ns : std::min(wait_ns, ns);
  };
  if (spec_.restart_interval > 0) {
    const std::int64_t left = ready_ns_ + seconds_ns(spec_.restart_interval) - now;
    if (left <= 0) return DrainReason::kRestartInterval;
    due_in(left);
  }
  if (spec_.cpu_time_limit > 0) {
    const double used = process_cpu_seconds();
    if (used >= spec_.cpu_time_limit) {
      log_line(LogLevel::kNotice, "wsgid: " + who() + " used " + std::to_string(used) +
                                      " CPU seconds, cpu-time-limit is " +
                                      std::to_string(spec_.cpu_time_limit) + "; recycling");
      return DrainReason::kCpuTimeLimit;
    }
    due_in(kSampleIntervalNs);
  }
  if (spec_.memory_limit > 0) {
    const std::uint64_t rss = resident_bytes();
    if (rss > spec_.memory_limit) {
      log_line(LogLevel::kNotice, "wsgid: " + who() + " resident memory " + std::to_string(rss) +
                                      " bytes exceeds memory-limit=" +
                                      std::to_string(spec_.memory_limit) + "; recycling");
      return DrainReason::kMemoryLimit;
    }
    due_in(kSampleIntervalNs);
  }
  if (spec_.deadlock_timeout > 0 && spec_.embedded == 0) {
    const std::int64_t held = now - gil_seen_ns_.load();
    if (held >= seconds_ns(spec_.deadlock_timeout)) {
      // mod_wsgi's deadlock timer: nothing can run Python any more, so there is nothing to
      // drain. Exit now; the parent starts a fresh process.
      log_line(LogLevel::kError, "WSGID0523: " + who() +
                                     ": the Python GIL has not been "
                                     "released for " +
                                     std::to_string(held / 1'000'000'000) + "s (deadlock-timeout=" +
                                     std::to_string(spec_.deadlock_timeout) +
                                     "s); exiting so that a fresh process replaces this one");
      status_.exiting(WSGID_EXIT_DEADLOCK);
      ::_exit(1);
    }
    due_in(kSampleIntervalNs);
  }
  return std::nullopt;
}

// deadlock-timeout: take the GIL now and then and note when we got it. If an application
// thread holds it without ever releasing (a C extension stuck in a loop, a deadlock on the
// GIL), this thread blocks and the main thread sees the time grow.
void Daemon::probe_gil() {
  std::string error;
  PyThreadState* state = thread_state_for("", error);
  if (state == nullptr) {
    log_text(LogLevel::kError, "WSGID0512: deadlock-timeout cannot be watched: " + error);
    gil_seen_ns_ = std::numeric_limits<std::int64_t>::max() / 2;
    return;
  }
  while (!draining_) {
    { GilScope gil(state); }
    gil_seen_ns_ = now_ns();
    pollfd p{stop_fd_.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(kSampleIntervalNs / 1'000'000));
  }
  release_thread_states();
}

// startup-timeout: a process that is not ready in time exits as a failed start, so the parent
// restarts it with back-off.
void Daemon::start_watchdog(UniqueFd& ready_fd, std::thread& watchdog) {
  if (spec_.startup_timeout <= 0 || spec_.embedded != 0) return;
  ready_fd = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  if (ready_fd.get() < 0) return;
  watchdog = std::thread([this, fd = ready_fd.get()] {
    const std::int64_t deadline = now_ns() + seconds_ns(spec_.startup_timeout);
    for (;;) {
      const std::int64_t left = deadline - now_ns();
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left / 1'000'000 + 1)) > 0) return;
    }
    log_line(LogLevel::kError, "WSGID0524: " + who() + " was not ready within startup-timeout (" +
                                   std::to_string(spec_.startup_timeout) +
                                   "s); exiting as a failed start");
    status_.startup_failed("WSGID0524: not ready within startup-timeout (" +
                           std::to_string(spec_.startup_timeout) + "s)");
    status_.exiting(WSGID_EXIT_STARTUP_FAILED);
    ::_exit(WSGID_EXIT_STARTUP_FAILURE);
  });
}

int Daemon::drain(DrainReason reason) {
  const bool stopping = reason == DrainReason::kStop;
  double timeout = stopping ? spec_.shutdown_timeout : spec_.graceful_timeout;
  if (reason == DrainReason::kRequestTimeout && timeout <= 0) timeout = 5;  // it is stuck
  close_parked();                                                           // sets draining_
  status_.draining();
  notify(stop_fd_.get());
  {
    std::unique_lock lock(listen_mutex_);
    // The parent and the next generation hold the same socket, so closing our fd would not
    // take it out of our epoll set.
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, listen_fd_, nullptr);
    ::close(listen_fd_);  // never shutdown(): the next generation of daemons shares it
    listen_fd_ = -1;
  }
  log_line(LogLevel::kNotice, "wsgid: " + who() + " draining (" + describe(reason) + "), " +
                                  std::to_string(in_flight_.load()) + " requests in flight");
  std::optional<std::int64_t> deadline;
  if (timeout > 0) deadline = now_ns() + seconds_ns(timeout);
  while (running_threads_ > 0) {
    int timeout_ms = -1;
    if (deadline) {
      const std::int64_t left = *deadline - now_ns();
      if (left <= 0) {
        log_line(LogLevel::kError,
                 "WSGID0517: " + who() + ": " + std::to_string(in_flight_.load()) +
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
  log_line(LogLevel::kNotice, "wsgid: " + who() + " exiting (" + describe(reason) + ")");
  status_.exiting(exit_reason(reason));
  return 0;
}

int Daemon::run() {
  init_log_level(spec_.log_level);
  set_log_fd(spec_.log_fd);
  peer_policy_.emplace(spec_);
  status_.starting(spec_.threads);
  if (spec_.threads < 1 || spec_.listen_fd < 0) {
    log_line(LogLevel::kError, "WSGID0516: " + who() + ": invalid daemon spec (threads=" +
                                   std::to_string(spec_.threads) +
                                   ", listen_fd=" + std::to_string(spec_.listen_fd) + ")");
    failed_to_start();
    return WSGID_EXIT_STARTUP_FAILURE;
  }
  // Embedded in an httpd worker, httpd owns the signals: drain requests come on a pipe (the
  // same one-byte-per-signal format), which stays the caller's (released, never closed).
  signal_fd_ = UniqueFd(spec_.embedded != 0 ? spec_.control_fd : install_control_signals());
  stop_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  control_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  done_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  epoll_fd_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  bool watched = epoll_fd_.get() >= 0;
  if (watched) {
    epoll_event stop{};
    stop.events = EPOLLIN;
    stop.data.u64 = kStopKey;
    // Not EPOLLEXCLUSIVE: that wakes the first process in the socket's wait queue that has a
    // thread waiting, so one process would collect every new connection while it has a free
    // thread. Waking them all lets whichever runs first take it; with persistent connections
    // new ones are rare, so the wake-ups cost little.
    epoll_event listen{};
    listen.events = EPOLLIN;
    listen.data.u64 = kListenKey;
    watched = ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, stop_fd_.get(), &stop) == 0 &&
              ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listen_fd_, &listen) == 0;
  }
  if (signal_fd_.get() < 0 || stop_fd_.get() < 0 || control_fd_.get() < 0 || done_fd_.get() < 0 ||
      !watched) {
    log_line(LogLevel::kError,
             std::string("WSGID0513: ") + who() +
                 ": cannot set up signal handling/eventfds: " + std::strerror(errno));
    failed_to_start();
    return WSGID_EXIT_STARTUP_FAILURE;
  }
  UniqueFd ready_fd;
  std::thread watchdog;
  start_watchdog(ready_fd, watchdog);
  const bool started = start_up();
  if (watchdog.joinable()) {
    notify(ready_fd.get());
    watchdog.join();
  }
  if (!started) {
    if (spec_.embedded != 0) (void)signal_fd_.release();
    failed_to_start();
    answer_backlog(startup_cause_);
    return WSGID_EXIT_STARTUP_FAILURE;
  }
  if (spec_.embedded == 0) {
    own_fds_.watch(listen_fd_, "the group's listening socket");
    own_fds_.watch(epoll_fd_.get(), "the daemon's epoll set");
    own_fds_.watch(stop_fd_.get(), "the stop eventfd");
    own_fds_.watch(control_fd_.get(), "the control eventfd");
    own_fds_.watch(done_fd_.get(), "the done eventfd");
    own_fds_.watch(signal_fd_.get(), "the signal fd");
    own_fds_.watch(2, "the error log");
    if (spec_.log_fd > 2) own_fds_.watch(spec_.log_fd, "the error log pipe");
  }
  status_.ready();  // the threads' first accept follows

  ready_ns_ = now_ns();
  gil_seen_ns_ = ready_ns_;
  last_activity_ns_ = now_ns();
  running_threads_ = spec_.threads;
  for (int i = 0; i < spec_.threads; ++i) {
    slots_.push_back(std::make_unique<ThreadSlot>());
  }
  for (int i = 0; i < spec_.threads; ++i) {
    ThreadSlot& slot = *slots_[static_cast<std::size_t>(i)];
    threads_.push_back(
        std::make_unique<SizedThread>(spec_.stack_size, [this, &slot] { request_thread(slot); }));
  }
  if (spec_.deadlock_timeout > 0 && spec_.embedded == 0) {
    gil_probe_ = std::thread([this] { probe_gil(); });
  }
  log_line(LogLevel::kNotice,
           "wsgid: " + who() + " ready, " + std::to_string(spec_.threads) + " threads");
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
