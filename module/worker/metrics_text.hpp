// Renders the scoreboard for people and machines: readiness JSON and the Prometheus text
// exposition format. Pure functions of the slots, so they are tested without httpd.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "scoreboard.h"

namespace wsgid {

struct WorkerCounts {
  int busy = 0;
  int idle = 0;
};

struct GroupState {
  int starting = 0;
  int ready = 0;
  int draining = 0;
  int threads = 0;  // of ready processes
  int busy_threads = 0;
};

GroupState group_state(const wsgid_group_slot& slot);

// Ready when every group has a process accepting and httpd is not stopping.
bool is_ready(std::span<const wsgid_group_slot* const> groups, bool stopping);
std::string readiness_json(std::span<const wsgid_group_slot* const> groups, bool stopping);

// `rss_bytes(pid)` reads a process's resident memory (0 when unknown).
std::string prometheus_text(std::span<const wsgid_group_slot* const> groups,
                            const WorkerCounts& workers,
                            const std::function<std::uint64_t(pid_t)>& rss_bytes);

}  // namespace wsgid
