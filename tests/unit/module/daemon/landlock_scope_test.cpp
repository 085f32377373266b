// A daemon's Landlock domain, applied for real in forked children (a domain cannot be left):
// reading only below the read paths, writing only below the write paths, missing paths named
// and skipped, and no signal to a process outside the domain.
#include "daemon/landlock_scope.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "forked_child.hpp"
#include "temp_dir.hpp"

namespace wsgid {
namespace {

using testing::run_in_child;

// "" when open() does what is expected (succeeds, or fails with EACCES), else what happened.
std::string expect_open(const std::string& path, int flags, bool allowed) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (allowed && fd < 0) return path + ": refused (" + std::strerror(error) + ")\n";
  if (!allowed && fd >= 0) return path + ": opened, but the domain should refuse it\n";
  if (!allowed && error != EACCES) return path + ": " + std::strerror(error) + ", not EACCES\n";
  return {};
}

class LandlockScope : public ::testing::Test {
 protected:
  void SetUp() override {
    if (landlock_abi_version() < kLandlockFilesystemAbi) GTEST_SKIP() << "no Landlock here";
    for (const char* sub : {"code", "data", "other"}) {
      ASSERT_EQ(::mkdir((dir_.str() + "/" + sub).c_str(), 0700), 0);
      dir_.write(std::string(sub) + "/file", "x");
    }
  }
  std::string path(const std::string& sub) const { return dir_.str() + "/" + sub; }
  testing::TempDir dir_;
};

TEST_F(LandlockScope, ReadsBelowReadPathsAndWritesBelowWritePathsOnly) {
  const auto outcome = run_in_child([&](int) -> std::string {
    LandlockRules rules;
    rules.filesystem = true;
    rules.read = {path("code")};
    rules.write = {path("data")};
    std::vector<std::string> missing;
    std::string error;
    if (!apply_landlock(rules, missing, error)) return "apply_landlock: " + error;
    return expect_open(path("code/file"), O_RDONLY, true) +
           expect_open(path("code/file"), O_WRONLY, false) +
           expect_open(path("code/new"), O_WRONLY | O_CREAT, false) +
           expect_open(path("data/file"), O_RDWR, true) +
           expect_open(path("data/new"), O_WRONLY | O_CREAT, true) +
           expect_open(path("other/file"), O_RDONLY, false) +
           expect_open("/etc/passwd", O_RDONLY, false);
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST_F(LandlockScope, MissingPathsAreNamedAndTheRestStillApplies) {
  const auto outcome = run_in_child([&](int) -> std::string {
    LandlockRules rules;
    rules.filesystem = true;
    rules.read = {path("code"), path("not-there")};
    std::vector<std::string> missing;
    std::string error;
    if (!apply_landlock(rules, missing, error)) return "apply_landlock: " + error;
    if (missing != std::vector<std::string>{path("not-there")}) {
      return "missing: " + (missing.empty() ? std::string("none") : missing.front());
    }
    return expect_open(path("code/file"), O_RDONLY, true) +
           expect_open(path("other/file"), O_RDONLY, false);
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST_F(LandlockScope, NoRulesLeaveTheProcessUnrestricted) {
  const auto outcome = run_in_child([&](int) -> std::string {
    std::vector<std::string> missing;
    std::string error;
    if (!apply_landlock(LandlockRules{}, missing, error)) return "apply_landlock: " + error;
    return expect_open(path("other/file"), O_RDWR, true);
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST_F(LandlockScope, ScopesStopSignalsToProcessesOutsideTheDomain) {
  if (landlock_abi_version() < kLandlockScopeAbi) GTEST_SKIP() << "Landlock without scopes";
  const pid_t test_process = ::getpid();
  const auto outcome = run_in_child([&](int) -> std::string {
    LandlockRules rules;
    rules.scopes = true;
    std::vector<std::string> missing;
    std::string error;
    if (!apply_landlock(rules, missing, error)) return "apply_landlock: " + error;
    if (::kill(::getpid(), 0) != 0)
      return "cannot signal itself: " + std::string(std::strerror(errno));
    if (::kill(test_process, 0) == 0) return "signalled the process outside its domain";
    if (errno != EPERM) return "kill outside: " + std::string(std::strerror(errno));
    return expect_open(path("other/file"), O_RDONLY, true);  // files are not restricted
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

}  // namespace
}  // namespace wsgid
