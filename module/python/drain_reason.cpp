#include "drain_reason.hpp"

namespace wsgid::python {

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

}  // namespace wsgid::python
