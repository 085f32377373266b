#include "supervise/daemon_recycle.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "poll.hpp"

namespace wsgid::supervise {
namespace {

// A child that keeps this process's command line (as httpd's worker children do), or one that
// runs another program (as a daemon's process title differs from httpd's).
pid_t start_child(bool exec_other) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (exec_other) ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    ::pause();
    ::_exit(0);
  }
  return pid;
}

void stop_child(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

bool listed(pid_t pid) {
  const auto pids = daemon_processes(::getpid());
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

TEST(DaemonRecycle, ListsChildrenWhoseCommandLineDiffersFromTheParents) {
  const pid_t worker = start_child(false);
  const pid_t daemon = start_child(true);
  // The exec happens after fork returns: poll with a deadline.
  EXPECT_TRUE(wsgid::testing::eventually([&] { return listed(daemon); }, std::chrono::seconds(10),
                                         std::chrono::milliseconds(5)));
  EXPECT_FALSE(listed(worker));
  stop_child(worker);
  stop_child(daemon);
}

TEST(DaemonRecycle, GivesUpAtOnceWhenTheParentIsGone) {
  std::ostringstream err;
  // A pid that is no process: nothing to recycle, and no wait for the deadline.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(recycle_daemons(0x7ffffff0, std::chrono::seconds(30), err), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

}  // namespace
}  // namespace wsgid::supervise
