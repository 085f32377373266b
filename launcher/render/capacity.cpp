#include "capacity.hpp"

#include <algorithm>

namespace wsgid::render {

Capacity derive_capacity(const profile::Profile& profile) {
  constexpr int kThreadsPerChild = 25;
  constexpr int kMinimumWorkers = 50;
  long daemon_threads = 0;
  for (const auto& site : profile.sites) {
    daemon_threads += static_cast<long>(site.daemon.processes) * site.daemon.threads;
  }
  const long wanted = std::max<long>(2 * daemon_threads, kMinimumWorkers);
  const long children = (wanted + kThreadsPerChild - 1) / kThreadsPerChild;
  Capacity capacity;
  capacity.threads_per_child = kThreadsPerChild;
  capacity.server_limit = static_cast<int>(children);
  capacity.max_request_workers = static_cast<int>(children * kThreadsPerChild);
  return capacity;
}

}  // namespace wsgid::render
