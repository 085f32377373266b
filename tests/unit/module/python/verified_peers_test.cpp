// VerifiedPeers against the real kernel: forked children connect to a UNIX socket as workers do,
// and the pidfds of their connections decide whether a pid still names the process checked.
#include "python/verified_peers.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

namespace wsgid::python {
namespace {

// A child process connected to the test's listener, alive until end().
struct Child {
  pid_t pid = -1;
  UniqueFd connection;  // the accepted end, as the daemon holds it
  UniqueFd hold;        // closing it lets the child exit

  void end() {
    hold.reset();
    if (pid > 0) ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~Child() { end(); }
};

class VerifiedPeersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    addr_.sun_family = AF_UNIX;
    const std::string name = "wsgid-verified-peers-test-" + std::to_string(::getpid());
    std::memcpy(addr_.sun_path + 1, name.data(), name.size());  // abstract: no file to clean
    len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_GE(listener_.get(), 0);
    ASSERT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr_), len_), 0);
    ASSERT_EQ(::listen(listener_.get(), 8), 0);
  }

  void start_child() {
    int hold[2];
    ASSERT_EQ(::pipe2(hold, O_CLOEXEC), 0);
    child_.pid = ::fork();
    ASSERT_GE(child_.pid, 0);
    if (child_.pid == 0) {
      ::close(hold[1]);
      const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
      if (::connect(s, reinterpret_cast<sockaddr*>(&addr_), len_) != 0) ::_exit(1);
      char c;
      (void)!::read(hold[0], &c, 1);  // until the test closes its end
      ::_exit(0);
    }
    ::close(hold[0]);
    child_.hold.reset(hold[1]);
    child_.connection.reset(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_GE(child_.connection.get(), 0);
  }

  // The pidfd of child_'s connection, as the daemon takes it (empty where the kernel gives none).
  UniqueFd child_pidfd() const { return VerifiedPeers::pidfd_of(child_.connection.get()); }

  UniqueFd connected_child() {
    start_child();
    return child_pidfd();
  }

  VerifiedPeers peers_;
  Child child_;
  sockaddr_un addr_{};
  socklen_t len_ = 0;
  UniqueFd listener_;
};

std::string fdinfo(int fd, const std::string& key) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

#define SKIP_WITHOUT_PEERPIDFD(fd)                                                          \
  if ((fd).get() < 0) {                                                                     \
    GTEST_SKIP() << "this kernel gives no SO_PEERPIDFD (Linux 6.5): nothing is remembered"; \
  }

TEST_F(VerifiedPeersTest, PidfdIsTheConnectingProcessAndCloseOnExec) {
  UniqueFd fd = connected_child();
  SKIP_WITHOUT_PEERPIDFD(fd);
  EXPECT_EQ(std::stoi(fdinfo(fd.get(), "Pid")), child_.pid);
  EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(VerifiedPeersTest, ARememberedProcessIsKnownWhileItLives) {
  UniqueFd fd = connected_child();
  SKIP_WITHOUT_PEERPIDFD(fd);
  EXPECT_FALSE(peers_.contains(child_.pid));
  peers_.remember(child_.pid, std::move(fd));
  EXPECT_TRUE(peers_.contains(child_.pid));
  EXPECT_TRUE(peers_.contains(child_.pid));
  const pid_t pid = child_.pid;
  child_.end();
  // Its pid may now be given to any process: it must be checked anew.
  EXPECT_FALSE(peers_.contains(pid));
}

TEST_F(VerifiedPeersTest, AProcessThatExitedDuringItsCheckIsNotRemembered) {
  UniqueFd fd = connected_child();
  SKIP_WITHOUT_PEERPIDFD(fd);
  const pid_t pid = child_.pid;
  child_.hold.reset();  // exits; a zombie still holds the pid until reaped
  ::waitpid(pid, nullptr, 0);
  child_.pid = -1;
  peers_.remember(pid, std::move(fd));
  EXPECT_FALSE(peers_.contains(pid));
}

TEST_F(VerifiedPeersTest, ADescriptorAnAppClosedAndReusedIsNeitherTrustedNorClosed) {
  UniqueFd fd = connected_child();
  SKIP_WITHOUT_PEERPIDFD(fd);
  const int number = fd.get();
  peers_.remember(child_.pid, std::move(fd));
  ASSERT_TRUE(peers_.contains(child_.pid));
  // An app in the daemon closes the pidfd and its number is given to another file.
  const UniqueFd other(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(::dup2(other.get(), number), number);
  EXPECT_FALSE(peers_.contains(child_.pid));  // not a pidfd: proves nothing
  EXPECT_GE(::fcntl(number, F_GETFD), 0) << "forgetting it closed the app's file";
  ::close(number);
}

TEST_F(VerifiedPeersTest, RememberingAPidAgainKeepsOneDescriptor) {
  UniqueFd first = connected_child();
  SKIP_WITHOUT_PEERPIDFD(first);
  const int number = first.get();
  peers_.remember(child_.pid, std::move(first));
  peers_.remember(child_.pid, child_pidfd());
  EXPECT_TRUE(peers_.contains(child_.pid));
  EXPECT_EQ(::fcntl(number, F_GETFD), -1) << "the first pidfd was kept beside the second";
}

}  // namespace
}  // namespace wsgid::python
