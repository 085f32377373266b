// What `wsgid status` prints: the facts of mod_wsgid's metrics, per daemon group, as a small
// table for a person.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "prometheus_text.hpp"

namespace wsgid::status {

struct GroupStatus {
  std::string name;
  std::int64_t ready = 0;
  std::int64_t starting = 0;
  std::int64_t draining = 0;
  std::int64_t busy_threads = 0;
  std::int64_t idle_threads = 0;
  std::array<std::int64_t, 6> requests{};  // [1]..[5]: 1xx..5xx; [0]: any other status
  // Non-zero counts only, in the order the metrics list them: ("crash", 1).
  std::vector<std::pair<std::string, std::int64_t>> restarts;
  // 5xx produced by mod_wsgid itself: ("502 daemon_died", 2).
  std::vector<std::pair<std::string, std::int64_t>> gateway_errors;
};

// Groups in the order the metrics first name them.
std::vector<GroupStatus> summarize(const std::vector<Sample>& samples);

// One header line and one line per group, columns aligned; "no daemon groups" when empty.
std::string format_table(const std::vector<GroupStatus>& groups);

}  // namespace wsgid::status
