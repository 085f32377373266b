// What the daemon's main thread watches to decide that this process should be recycled:
// request-timeout (a request running too long), restart-interval, cpu-time-limit,
// memory-limit, deadlock-timeout (the GIL never released, seen by a probe thread) and
// inactivity-timeout. Request threads report here when a request starts and ends.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drain_reason.hpp"
#include "process_status.hpp"
#include "python_abi.h"

namespace wsgid::python {

// Per request thread: when its current request started (0 = idle), for request-timeout.
struct ThreadSlot {
  std::atomic<std::int64_t> started_ns{0};
  std::mutex mutex;     // guards `request`
  std::string request;  // what it is serving, for the request-timeout log line
};

class RecycleWatch {
 public:
  RecycleWatch(const wsgid_daemon_spec& spec, const ProcessStatus& status, const std::string& who)
      : spec_(spec), status_(status), who_(who) {}

  // The process is ready with `threads` request threads: the clocks start now.
  void start(int threads);
  ThreadSlot& slot(int i) { return *slots_[static_cast<std::size_t>(i)]; }

  // One request in a thread's slot, while it lives: request-timeout counts from its start,
  // inactivity-timeout from the end of the last one.
  class Busy {
   public:
    Busy(RecycleWatch& watch, ThreadSlot& slot, std::string description);
    ~Busy();
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

   private:
    RecycleWatch& watch_;
    ThreadSlot& slot_;
  };
  int in_flight() const { return in_flight_.load(); }

  // Each lowers `wait_ns` (-1: nothing due) to when it must look again, or says why to drain.
  std::optional<DrainReason> overdue_request(std::int64_t now, std::int64_t& wait_ns);
  // restart-interval, cpu-time-limit, memory-limit and deadlock-timeout (which exits at once).
  std::optional<DrainReason> over_limits(std::int64_t now, std::int64_t& wait_ns);
  std::optional<DrainReason> inactive(std::int64_t now, std::int64_t& wait_ns) const;

  // deadlock-timeout's probe thread: takes the GIL now and then until `draining`.
  void probe_gil(const std::atomic<bool>& draining, int stop_fd);

 private:
  const wsgid_daemon_spec& spec_;
  const ProcessStatus& status_;
  const std::string& who_;
  std::vector<std::unique_ptr<ThreadSlot>> slots_;
  std::atomic<int> in_flight_{0};
  std::atomic<std::int64_t> last_activity_ns_{0};
  std::int64_t ready_ns_ = 0;
  // deadlock-timeout: when the probe thread last held the GIL.
  std::atomic<std::int64_t> gil_seen_ns_{0};
};

}  // namespace wsgid::python
