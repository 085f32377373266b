#include "render/capacity.hpp"

#include <gtest/gtest.h>

namespace wsgid::render {
namespace {

profile::Profile with_daemons(std::initializer_list<std::pair<int, int>> groups, int slow_clients) {
  profile::Profile p;
  p.server.limits.slow_clients = slow_clients;
  for (const auto& [processes, threads] : groups) {
    profile::Site site;
    site.daemon.processes = processes;
    site.daemon.threads = threads;
    p.sites.push_back(site);
  }
  return p;
}

TEST(DeriveCapacity, OneChildHoldsTheWholeWsgiWorkingSet) {
  // 2x20 + 4x8 = 72 daemon threads: 144 in one child, which nothing the daemons can absorb
  // fills (the event MPM closes a full child's keep-alive connections).
  const auto c = derive_capacity(with_daemons({{2, 20}, {4, 8}}, 0));
  EXPECT_EQ(c.threads_per_child, 256);  // the floor: few processes for a slow-client reserve
  EXPECT_EQ(c.children, 1);
  EXPECT_EQ(c.max_request_workers, 256);
  const auto big = derive_capacity(with_daemons({{4, 100}}, 0));
  EXPECT_EQ(big.threads_per_child, 800);
  EXPECT_EQ(big.children, 1);
}

TEST(DeriveCapacity, AddsChildrenForTheSlowClientReserve) {
  // The default 1000 slow clients beside a 2x15 site: 4 more children of 256.
  const auto c = derive_capacity(with_daemons({{2, 15}}, 1000));
  EXPECT_EQ(c.children, 5);
  EXPECT_EQ(c.max_request_workers, 5 * 256);
  EXPECT_GE(c.max_request_workers - 2 * 30, 1000);
}

TEST(DeriveCapacity, LeavesScoreboardSlotsForAGracefulRestart) {
  const auto c = derive_capacity(with_daemons({{2, 15}}, 300));
  EXPECT_EQ(c.children, 3);
  EXPECT_EQ(c.server_limit, 2 * c.children);
}

}  // namespace
}  // namespace wsgid::render
