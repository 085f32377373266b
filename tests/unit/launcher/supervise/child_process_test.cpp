#include "supervise/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>

#include "supervise/signal_fd.hpp"

namespace wsgid::supervise {
namespace {

// Waits for the child's exit through SIGCHLD, bounded by a deadline.
void wait_for_exit(ChildProcess& child, SignalFd& signals) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (child.running() && std::chrono::steady_clock::now() < deadline) {
    signals.wait(100);
    child.poll_exit();
  }
}

TEST(ChildProcess, ReportsTheExitStatus) {
  SignalFd signals({SIGCHLD});
  ChildProcess child({"/bin/sh", "-c", "exit 7"});
  wait_for_exit(child, signals);
  EXPECT_EQ(child.exit_code(), 7);
}

TEST(ChildProcess, ReportsDeathBySignalShellStyle) {
  SignalFd signals({SIGCHLD});
  ChildProcess child({"/bin/sh", "-c", "kill -TERM $$"});
  wait_for_exit(child, signals);
  EXPECT_EQ(child.exit_code(), 128 + SIGTERM);
}

TEST(ChildProcess, StartsWithSignalsUnblockedEvenWhenTheParentBlocksThem) {
  SignalFd signals({SIGCHLD, SIGTERM});
  ChildProcess child({"/bin/sleep", "30"});
  child.signal(SIGTERM);
  wait_for_exit(child, signals);
  EXPECT_EQ(child.exit_code(), 128 + SIGTERM);
}

TEST(ChildProcess, KillsAndReapsAChildStillRunningWhenDestroyed) {
  pid_t pid = 0;
  {
    ChildProcess child({"/bin/sleep", "30"});
    pid = child.pid();
  }
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(ChildProcess, ThrowsWhenTheProgramCannotStart) {
  EXPECT_THROW(ChildProcess({"/nonexistent/httpd"}), std::system_error);
}

}  // namespace
}  // namespace wsgid::supervise
