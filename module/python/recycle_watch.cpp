#include "recycle_watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "daemon_clock.hpp"
#include "error_log.hpp"
#include "interpreter.hpp"

namespace wsgid::python {
namespace {

// How often the limits that can only be sampled (CPU time, RSS, the GIL probe) are looked at.
constexpr std::int64_t kSampleIntervalNs = 250'000'000;

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

}  // namespace

void RecycleWatch::start(int threads) {
  ready_ns_ = now_ns();
  gil_seen_ns_ = ready_ns_;
  last_activity_ns_ = now_ns();
  for (int i = 0; i < threads; ++i) slots_.push_back(std::make_unique<ThreadSlot>());
}

RecycleWatch::Busy::Busy(RecycleWatch& watch, ThreadSlot& slot, std::string description)
    : watch_(watch), slot_(slot) {
  {
    std::lock_guard lock(slot.mutex);
    slot.request = std::move(description);
  }
  slot.started_ns = now_ns();
  ++watch.in_flight_;
}

RecycleWatch::Busy::~Busy() {
  slot_.started_ns = 0;
  watch_.last_activity_ns_ = now_ns();
  --watch_.in_flight_;
}

std::optional<DrainReason> RecycleWatch::overdue_request(std::int64_t now, std::int64_t& wait_ns) {
  if (spec_.request_timeout <= 0) return std::nullopt;
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
      log_line(LogLevel::kError, "WSGID0518: " + who_ + ": the request to " + request +
                                     " has run longer than request-timeout (" +
                                     std::to_string(spec_.request_timeout) +
                                     "s); recycling the process");
      return DrainReason::kRequestTimeout;
    }
    wait_ns = std::min(wait_ns, started + limit - now);
  }
  return std::nullopt;
}

std::optional<DrainReason> RecycleWatch::over_limits(std::int64_t now, std::int64_t& wait_ns) {
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
      log_line(LogLevel::kNotice, "wsgid: " + who_ + " used " + std::to_string(used) +
                                      " CPU seconds, cpu-time-limit is " +
                                      std::to_string(spec_.cpu_time_limit) + "; recycling");
      return DrainReason::kCpuTimeLimit;
    }
    due_in(kSampleIntervalNs);
  }
  if (spec_.memory_limit > 0) {
    const std::uint64_t rss = resident_bytes();
    if (rss > spec_.memory_limit) {
      log_line(LogLevel::kNotice, "wsgid: " + who_ + " resident memory " + std::to_string(rss) +
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
      log_line(LogLevel::kError, "WSGID0523: " + who_ +
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

std::optional<DrainReason> RecycleWatch::inactive(std::int64_t now, std::int64_t& wait_ns) const {
  if (spec_.inactivity_timeout <= 0) return std::nullopt;
  const std::int64_t limit = seconds_ns(spec_.inactivity_timeout);
  const std::int64_t idle = now - last_activity_ns_.load();
  if (in_flight_ == 0 && idle >= limit) return DrainReason::kInactivity;
  const std::int64_t left = in_flight_ == 0 ? limit - idle : limit;
  wait_ns = wait_ns < 0 ? left : std::min(wait_ns, left);
  return std::nullopt;
}

// If an application thread holds the GIL without ever releasing it (a C extension stuck in a
// loop, a deadlock on the GIL), this thread blocks and the main thread sees the time grow.
void RecycleWatch::probe_gil(const std::atomic<bool>& draining, int stop_fd) {
  std::string error;
  PyThreadState* state = thread_state_for("", error);
  if (state == nullptr) {
    log_text(LogLevel::kError, "WSGID0512: deadlock-timeout cannot be watched: " + error);
    gil_seen_ns_ = std::numeric_limits<std::int64_t>::max() / 2;
    return;
  }
  while (!draining) {
    { GilScope gil(state); }
    gil_seen_ns_ = now_ns();
    pollfd p{stop_fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(kSampleIntervalNs / 1'000'000));
  }
  release_thread_states();
}

}  // namespace wsgid::python
