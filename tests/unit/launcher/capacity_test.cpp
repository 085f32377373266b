#include "render/capacity.hpp"

#include <gtest/gtest.h>

namespace wsgid::render {
namespace {

profile::Profile with_daemons(std::initializer_list<std::pair<int, int>> groups) {
  profile::Profile p;
  for (const auto& [processes, threads] : groups) {
    profile::Site site;
    site.daemon.processes = processes;
    site.daemon.threads = threads;
    p.sites.push_back(site);
  }
  return p;
}

TEST(DeriveCapacity, KeepsAFloorOfFiftyWorkersForSmallSites) {
  const auto c = derive_capacity(with_daemons({{1, 15}}));
  EXPECT_EQ(c.threads_per_child, 25);
  EXPECT_EQ(c.max_request_workers, 50);
  EXPECT_EQ(c.server_limit, 2);
}

TEST(DeriveCapacity, GivesTwiceTheDaemonThreadsInWholeChildren) {
  // 2x20 + 4x8 = 72 daemon threads -> 144 wanted -> 6 children of 25.
  const auto c = derive_capacity(with_daemons({{2, 20}, {4, 8}}));
  EXPECT_EQ(c.max_request_workers, 150);
  EXPECT_EQ(c.server_limit, 6);
  EXPECT_EQ(c.max_request_workers % c.threads_per_child, 0);
}

}  // namespace
}  // namespace wsgid::render
