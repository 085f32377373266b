// Why a daemon process drains and exits: what the log line says and what the scoreboard
// records as its exit reason (the parent restarts it either way).
#pragma once

#include "scoreboard.h"

namespace wsgid::python {

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

wsgid_exit_reason exit_reason(DrainReason r);
const char* describe(DrainReason r);

}  // namespace wsgid::python
