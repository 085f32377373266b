#include "syscall_groups.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace wsgid::sandbox {
namespace {

std::set<std::string> resolve_one(const std::string& name) {
  const std::vector<std::string> names{name};
  Resolution r = resolve(names);
  EXPECT_TRUE(r.unknown.empty()) << name;
  return r.syscalls;
}

TEST(SyscallGroups, EveryMemberIsAGroupOrAKnownSyscall) {
  for (const auto& group : all_groups()) {
    for (auto member : group_members(group)) {
      if (member.starts_with('@')) {
        EXPECT_NE(find_group(member), nullptr) << group.name << " includes " << member;
      } else {
        EXPECT_TRUE(is_known_syscall(member)) << group.name << " lists " << member;
      }
    }
  }
}

TEST(SyscallGroups, NamesAreUniqueAndHelpIsOneLine) {
  std::set<std::string_view> seen;
  for (const auto& group : all_groups()) {
    EXPECT_TRUE(group.name.starts_with('@')) << group.name;
    EXPECT_TRUE(seen.insert(group.name).second) << "duplicate " << group.name;
    EXPECT_FALSE(group.help.empty()) << group.name;
    EXPECT_EQ(group.help.find('\n'), std::string_view::npos) << group.name;
    EXPECT_FALSE(group.members.empty()) << group.name;
  }
}

// Depth-first walk with an "on the current path" set: a group reached again while still being
// expanded is a cycle.
bool has_cycle(std::string_view name, std::set<std::string_view>& path) {
  if (!path.insert(name).second) return true;
  for (auto member : group_members(*find_group(name))) {
    if (member.starts_with('@') && find_group(member) && has_cycle(member, path)) return true;
  }
  path.erase(name);
  return false;
}

TEST(SyscallGroups, NoGroupIncludesItselfThroughAnyPath) {
  for (const auto& group : all_groups()) {
    std::set<std::string_view> path;
    EXPECT_FALSE(has_cycle(group.name, path)) << group.name;
  }
}

TEST(SyscallGroups, TheIssueGroupsExist) {
  for (const char* name :
       {"@basic-io", "@file-system", "@network-io", "@process",       "@signal",
        "@timer",    "@ipc",         "@memory",     "@privileged",    "@mount",
        "@module",   "@reboot",      "@swap",       "@raw-io",        "@debug",
        "@obsolete", "@clock",       "@keyring",    "@cpu-emulation", "@default"}) {
    EXPECT_NE(find_group(name), nullptr) << name;
  }
  EXPECT_EQ(find_group("basic-io"), nullptr);
  EXPECT_EQ(find_group("@nope"), nullptr);
}

TEST(SyscallGroups, ResolveExpandsNestedGroupsAndPassesSyscallsThrough) {
  const std::vector<std::string> names{"@privileged", "ptrace", "@bogus", "nosuchcall"};
  const Resolution r = resolve(names);
  EXPECT_TRUE(r.syscalls.contains("mount"));        // @privileged > @mount
  EXPECT_TRUE(r.syscalls.contains("kexec_load"));   // @privileged > @reboot
  EXPECT_TRUE(r.syscalls.contains("init_module"));  // @privileged > @module
  EXPECT_TRUE(r.syscalls.contains("bpf"));
  EXPECT_TRUE(r.syscalls.contains("ptrace"));
  EXPECT_EQ(r.unknown, (std::vector<std::string>{"@bogus", "nosuchcall"}));
}

TEST(SyscallGroups, SyscallsOfOtherArchitecturesAreKnown) {
  EXPECT_TRUE(is_known_syscall("openat"));
  EXPECT_TRUE(is_known_syscall("mmap2"));               // 32-bit only
  EXPECT_TRUE(is_known_syscall("s390_pci_mmio_read"));  // s390 only
  EXPECT_FALSE(is_known_syscall("opne"));
  EXPECT_FALSE(is_known_syscall(""));
  EXPECT_FALSE(is_known_syscall("@basic-io"));
  const auto& known = known_syscalls();
  EXPECT_GT(known.size(), 400u);
  EXPECT_TRUE(std::binary_search(known.begin(), known.end(), "vm86"));
}

TEST(SyscallGroups, SuggestsTheNearestName) {
  EXPECT_EQ(suggest_name("@netwrok-io"), "@network-io");
  EXPECT_EQ(suggest_name("network-io"), "@network-io");
  EXPECT_EQ(suggest_name("ptrce"), "ptrace");
  EXPECT_EQ(suggest_name("@mounts"), "@mount");
  EXPECT_EQ(suggest_name("@completely-different"), std::nullopt);
  EXPECT_EQ(suggest_name("xyzzyplugh"), std::nullopt);
}

TEST(SyscallGroups, DefaultExcludesWhatADaemonMustNeverDo) {
  const auto allowed = resolve_one("@default");
  for (const char* name :
       {"ptrace",        "mount",           "umount2",          "unshare",
        "setns",         "kexec_load",      "kexec_file_load",  "bpf",
        "init_module",   "finit_module",    "delete_module",    "reboot",
        "swapon",        "pivot_root",      "chroot",           "setuid",
        "keyctl",        "perf_event_open", "process_vm_readv", "userfaultfd",
        "iopl",          "modify_ldt",      "io_uring_setup",   "open_by_handle_at",
        "settimeofday",  "mbind",           "set_mempolicy",    "get_mempolicy",
        "migrate_pages", "move_pages"}) {
    EXPECT_FALSE(allowed.contains(name)) << name;
  }
  for (const char* group : {"@privileged", "@debug", "@obsolete", "@cpu-emulation"}) {
    for (const auto& name : resolve_one(group)) {
      EXPECT_FALSE(allowed.contains(name)) << group << " member " << name << " is in @default";
    }
  }
}

// The union that tests/unit/launcher/sandbox/derive_default_syscalls.sh observed (Debian 12,
// CPython 3.11, x86_64: hello, stdlib C extensions, file_wrapper, threads, Flask, Django + sqlite),
// plus what the daemon's own C++ loop calls.
TEST(SyscallGroups, DefaultCoversTheDerivedSet) {
  const auto allowed = resolve_one("@default");
  for (const char* name :
       {"accept4", "access", "arch_prctl", "bind", "brk", "clock_nanosleep", "clone3", "close",
        "connect", "epoll_create1", "execve", "exit", "exit_group", "fchown", "fcntl", "fdatasync",
        "futex", "getcwd", "getdents64", "getegid", "geteuid", "getgid", "getpid", "getrandom",
        "getsockname", "gettid", "getuid", "ioctl", "listen", "lseek", "madvise", "mkdir", "mmap",
        "mprotect", "munmap", "newfstatat", "openat", "poll", "pread64", "prlimit64", "pselect6",
        "pwrite64", "read", "readlink", "recvfrom", "rename", "rseq", "rt_sigaction",
        "rt_sigprocmask", "sendto", "set_robust_list", "set_tid_address", "setsockopt", "shutdown",
        "socket", "sysinfo", "uname", "unlink", "write",
        // daemon loop
        "ppoll", "epoll_wait", "epoll_pwait", "epoll_ctl", "recvmsg", "sendmsg", "readv", "writev",
        "clone", "signalfd4", "eventfd2", "rt_sigreturn", "getsockopt", "clock_gettime", "sendfile",
        "dup2", "pipe2", "sched_getaffinity", "tgkill"}) {
    EXPECT_TRUE(allowed.contains(name)) << name;
  }
}

TEST(SyscallGroups, PrintGroupsShowsNameHelpAndMembers) {
  std::ostringstream out;
  print_groups(out);
  const std::string text = out.str();
  EXPECT_NE(text.find("@network-io\n    # Create, connect and use sockets\n    accept accept4"),
            std::string::npos)
      << text;
  for (const auto& group : all_groups()) {
    EXPECT_NE(text.find(std::string(group.name) + "\n"), std::string::npos) << group.name;
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 100u) << line;
}

}  // namespace
}  // namespace wsgid::sandbox
