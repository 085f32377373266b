#include "capacity.hpp"

#include <algorithm>

namespace wsgid::render {

Capacity derive_capacity(const profile::Profile& profile) {
  constexpr long kMinimumWorkers = 50;
  // Few processes for the slow-client reserve: a thread costs far less than a child.
  constexpr long kMinimumPerChild = 256;
  // httpd's compiled-in ceiling for ThreadLimit.
  constexpr long kMaxThreadsPerChild = 20000;
  long daemon_threads = 0;
  for (const auto& site : profile.sites) {
    daemon_threads += static_cast<long>(site.daemon.processes) * site.daemon.threads;
  }
  const long per_child = std::min(std::max({2 * daemon_threads, kMinimumWorkers, kMinimumPerChild}),
                                  kMaxThreadsPerChild);
  const long slow = std::max(0, profile.server.limits.slow_clients);
  const long children = 1 + (slow + per_child - 1) / per_child;
  Capacity capacity;
  capacity.threads_per_child = static_cast<int>(per_child);
  capacity.children = static_cast<int>(children);
  capacity.server_limit = static_cast<int>(2 * children);
  capacity.max_request_workers = static_cast<int>(children * per_child);
  constexpr long kH2IdleWorkers = 25;
  capacity.h2_min_workers = static_cast<int>(std::min(kH2IdleWorkers, per_child));
  return capacity;
}

}  // namespace wsgid::render
