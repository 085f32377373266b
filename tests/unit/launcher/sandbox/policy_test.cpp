#include "policy.hpp"

#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "temp_dir.hpp"

namespace wsgid::sandbox {
namespace {

Policy make(std::vector<std::string> allow, std::vector<std::string> deny,
            std::string base = "default") {
  Policy p;
  p.base = std::move(base);
  p.allow = std::move(allow);
  p.deny = std::move(deny);
  return p;
}

TEST(PolicyValidate, DefaultPolicyIsValid) { EXPECT_TRUE(validate(Policy{}).empty()); }

TEST(PolicyValidate, UnknownGroupNamesListIndexAndSuggestion) {
  const auto errors = validate(make({"@network-io", "@netwrok-io"}, {}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "WSGID3001");
  EXPECT_EQ(errors[0].field, PolicyField::kAllow);
  EXPECT_EQ(errors[0].index, 1u);
  EXPECT_EQ(errors[0].value, "@netwrok-io");
  EXPECT_EQ(errors[0].message,
            "unknown syscall group \"@netwrok-io\" in sandbox.allow[1] (did you mean "
            "\"@network-io\"?); \"wsgid seccomp groups\" lists the groups");
}

TEST(PolicyValidate, UnknownSyscallWithAndWithoutSuggestion) {
  const auto errors = validate(make({}, {"ptrce", "mount", "xyzzyplugh"}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].code, "WSGID3005");
  EXPECT_EQ(errors[0].field, PolicyField::kDeny);
  EXPECT_EQ(errors[0].index, 0u);
  EXPECT_EQ(errors[0].message,
            "unknown syscall \"ptrce\" in sandbox.deny[0] (did you mean \"ptrace\"?); use a "
            "syscall name known to libseccomp or a group from \"wsgid seccomp groups\"");
  EXPECT_EQ(errors[1].index, 2u);
  EXPECT_EQ(errors[1].message,
            "unknown syscall \"xyzzyplugh\" in sandbox.deny[2]; use a syscall name known to "
            "libseccomp or a group from \"wsgid seccomp groups\"");
}

TEST(PolicyValidate, GroupNameWithoutAtSignSuggestsTheGroup) {
  const auto errors = validate(make({"network-io"}, {}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "WSGID3005");
  EXPECT_NE(errors[0].message.find("(did you mean \"@network-io\"?)"), std::string::npos);
}

TEST(PolicyValidate, EmptyName) {
  const auto errors = validate(make({""}, {"@"}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].code, "WSGID3004");
  EXPECT_EQ(errors[0].message,
            "empty name \"\" in sandbox.allow[0]; use a syscall name such as \"ptrace\" or a "
            "group such as \"@network-io\"");
  EXPECT_EQ(errors[1].field, PolicyField::kDeny);
}

TEST(PolicyValidate, SyscallOfAnotherArchitectureIsAccepted) {
  EXPECT_TRUE(validate(make({"mmap2", "s390_pci_mmio_read"}, {})).empty());
}

TEST(PolicyValidate, UnknownBase) {
  const auto errors = validate(make({}, {}, "strict"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, "WSGID3002");
  EXPECT_EQ(errors[0].field, PolicyField::kBase);
  EXPECT_EQ(errors[0].message,
            "unknown seccomp base policy \"strict\" in sandbox.seccomp; use \"default\" (the "
            "derived base set) or \"off\" (no filter)");
}

TEST(PolicyValidate, ListsWithBaseOffAreAContradiction) {
  const auto errors = validate(make({"@mount"}, {"ptrace"}, "off"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].code, "WSGID3003");
  EXPECT_EQ(errors[0].message,
            "sandbox.allow has no effect with sandbox.seccomp = \"off\"; remove sandbox.allow "
            "or set seccomp = \"default\"");
  EXPECT_EQ(errors[1].field, PolicyField::kDeny);
  EXPECT_TRUE(validate(make({}, {}, "off")).empty());
}

TEST(PolicyAction, ParsesTheThreeNames) {
  EXPECT_EQ(parse_action("errno"), Policy::Action::kErrno);
  EXPECT_EQ(parse_action("kill"), Policy::Action::kKill);
  EXPECT_EQ(parse_action("log"), Policy::Action::kLog);
  EXPECT_EQ(parse_action("Kill"), std::nullopt);
  EXPECT_EQ(action_name(Policy::Action::kLog), "log");
  EXPECT_EQ(action_error_message("trap"),
            "unknown seccomp action \"trap\" in sandbox.action; use \"errno\" (fail with "
            "EPERM), \"kill\" (kill the daemon) or \"log\" (allow and log, for building an "
            "allow list)");
}

TEST(PolicyAllowed, DenyWinsOverAllowAndBase) {
  const auto allowed =
      allowed_syscalls(make({"@mount", "ptrace"}, {"@process", "umount2", "ptrace"}));
  EXPECT_TRUE(allowed.contains("mount"));
  EXPECT_FALSE(allowed.contains("umount2"));
  EXPECT_FALSE(allowed.contains("ptrace"));
  EXPECT_FALSE(allowed.contains("execve"));
  EXPECT_FALSE(allowed.contains("clone"));
  EXPECT_TRUE(allowed.contains("read"));
  EXPECT_TRUE(allowed_syscalls(make({}, {}, "off")).empty());
}

TEST(PolicyCompile, ProducesWholeInstructions) {
  for (auto action : {Policy::Action::kErrno, Policy::Action::kKill, Policy::Action::kLog}) {
    Policy p;
    p.action = action;
    const CompiledFilter f = compile(p);
    ASSERT_TRUE(f.ok()) << f.error;
    EXPECT_GT(f.program.size(), 10 * sizeof(sock_filter));
    EXPECT_EQ(f.program.size() % sizeof(sock_filter), 0u);
  }
  const CompiledFilter trap =
      compile(Policy{.action = Policy::Action::kKill}, {.kill_via_trap = true});
  ASSERT_TRUE(trap.ok()) << trap.error;
  EXPECT_NE(trap.program, compile(Policy{.action = Policy::Action::kKill}).program);
}

TEST(PolicyCompile, OffIsOkAndEmpty) {
  const CompiledFilter f = compile(make({}, {}, "off"));
  EXPECT_TRUE(f.ok());
  EXPECT_TRUE(f.program.empty());
}

TEST(PolicyCompile, InvalidPolicyReportsTheFirstError) {
  const CompiledFilter f = compile(make({"@nope"}, {}));
  EXPECT_FALSE(f.ok());
  EXPECT_TRUE(f.program.empty());
  EXPECT_EQ(f.error,
            "WSGID3001: unknown syscall group \"@nope\" in sandbox.allow[0]; \"wsgid seccomp "
            "groups\" lists the groups");
}

TEST(PolicyCompile, SyscallsMissingOnThisArchitectureAreSkipped) {
  const CompiledFilter f = compile(make({"mmap2", "s390_pci_mmio_read", "vm86"}, {}));
  EXPECT_TRUE(f.ok()) << f.error;
}

class FilterFile : public ::testing::Test {
 protected:
  wsgid::testing::TempDir dir_;
};

TEST_F(FilterFile, WritesTheExactBytesReadableByAll) {
  const CompiledFilter f = compile(Policy{});
  ASSERT_TRUE(f.ok());
  const std::string path = dir_.path() / "site.bpf";
  std::string error;
  ASSERT_TRUE(write_filter_file(path, f.program, error)) << error;
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> back((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(back, f.program);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_.path()), {}),
            1);  // no temp left
}

TEST_F(FilterFile, ReportsAnUnwritableDirectory) {
  const std::string path = dir_.path() / "missing" / "site.bpf";
  std::string error;
  const std::vector<std::uint8_t> bytes(8, 0);
  EXPECT_FALSE(write_filter_file(path, bytes, error));
  EXPECT_EQ(error, "WSGID3011: cannot write seccomp filter \"" + path +
                       "\" (create): No such file or directory; check that the runtime "
                       "directory is writable");
}

}  // namespace
}  // namespace wsgid::sandbox
