// What this daemon process tells the rest of httpd through the shared scoreboard
// (scoreboard.h): its state, busy threads, completed requests and exit reason in its process
// slot, and how long requests queued before it accepted them in its group's histogram. Every
// update is a relaxed atomic: these are statistics that the parent and workers only read.
// Without slots (tests, no slot free) every call does nothing.
#pragma once

#include <cstdint>
#include <string_view>

#include "scoreboard.h"

namespace wsgid::python {

class ProcessStatus {
 public:
  ProcessStatus(wsgid_process_slot* process, wsgid_group_slot* group)
      : process_(process), group_(group) {}

  // At start-up, before Python: pid and thread count (the parent already set STARTING).
  void starting(int threads) const;
  void ready() const;
  void draining() const;
  // Written just before the daemon returns or exits.
  void exiting(wsgid_exit_reason reason) const;
  // The start failed: `cause` (a WSGID code and the cause's last line) goes to the group slot
  // for workers and readiness; ready() of any process of the group clears it.
  void startup_failed(std::string_view cause) const;

  // `queue_start`: the request head's mod_wsgi.queue_start (microseconds since the epoch, as
  // the worker took it before connecting); `accepted_us`: when this process accepted the
  // connection. Nothing is observed when the value is absent or not a number.
  // Records the wait in the group's histogram; returns it in microseconds (-1 if unknown).
  std::int64_t observe_queue_wait(std::string_view queue_start, std::int64_t accepted_us) const;

  // One request being handled: busy while it lives, counted as completed when it ends.
  class Request {
   public:
    explicit Request(const ProcessStatus& status);
    ~Request();
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;

   private:
    wsgid_process_slot* process_;
  };

 private:
  wsgid_process_slot* process_;
  wsgid_group_slot* group_;
};

// CLOCK_REALTIME in microseconds since the epoch, the clock mod_wsgi.queue_start uses.
std::int64_t realtime_us();

}  // namespace wsgid::python
