// One request on a greeted worker connection, from its head to the point where the connection
// is at a clean boundary again: the head is read and checked, maximum-requests counted, paths
// rewritten for chroot=, queue-timeout applied, hook calls handed to the hook runner, and a
// WSGI request run in its application group, asking for a recycle when its script changed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "connection.hpp"
#include "drain_reason.hpp"
#include "process_status.hpp"
#include "python_abi.h"
#include "recycle_watch.hpp"
#include "wsgi_adapter.hpp"

namespace wsgid::python {

class Dispatcher {
 public:
  // `request_drain` asks the process to drain (it returns at once); `keep_alive_allowed` says
  // whether a response may promise the worker another request on its connection.
  Dispatcher(const wsgid_daemon_spec& spec, const std::string& who, const ProcessStatus& status,
             RecycleWatch& watch, std::function<void(DrainReason)> request_drain,
             std::function<bool()> keep_alive_allowed);

  // Serves one request on `conn` in the thread that owns `slot`; `taken_us` is when this
  // process took the connection (CLOCK_REALTIME), for queue-timeout. True when the connection
  // is at a clean boundary and promised the worker another request (ResponseEnd with
  // kKeepAlive, body read to RequestEnd).
  bool serve(Connection& conn, ThreadSlot& slot, std::int64_t taken_us);

 private:
  bool refused_for_queue_time(Connection& conn, std::int64_t waited_us,
                              const RequestTarget& target) const;
  bool run_application(Connection& conn, const wire::Pairs& pairs, const RequestTarget& target);

  const wsgid_daemon_spec& spec_;
  const std::string& who_;
  const ProcessStatus& status_;
  RecycleWatch& watch_;
  std::function<void(DrainReason)> request_drain_;
  std::function<bool()> keep_alive_allowed_;
  GroupSettings settings_;
  std::atomic<long> requests_taken_{0};  // maximum-requests counts requests, not connections
};

}  // namespace wsgid::python
