// What a loaded filter really does, checked in forked children (a filter cannot be removed).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "forked_child.hpp"
#include "filter_loader.hpp"
#include "policy.hpp"
#include "temp_dir.hpp"

namespace wsgid::sandbox {
namespace {

using testing::run_in_child;

// Loads the policy in the current (child) process; "" on success.
std::string apply(const Policy& policy, const CompileOptions& options = {}) {
  const CompiledFilter compiled = compile(policy, options);
  if (!compiled.ok()) return "compile: " + compiled.error;
  std::string error;
  if (!seccomp::load_filter(compiled.program, error)) return "load: " + error;
  return {};
}

// "" when `rc` is -1 with errno EPERM, else a description naming `what`.
std::string expect_eperm(const char* what, long rc) {
  if (rc == -1 && errno == EPERM) return {};
  return std::string(what) + " returned " + std::to_string(rc) + " errno " + std::strerror(errno) +
         "; expected EPERM\n";
}

std::string seccomp_mode() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Seccomp:", 0) == 0) return line;
  }
  return "Seccomp: ?";
}

// File, socket, thread and memory work a WSGI daemon does all day.
std::string everyday_work() {
  std::string failures;
  auto check = [&](bool ok, const char* what) {
    if (!ok) failures += std::string(what) + " failed: " + std::strerror(errno) + "\n";
  };
  char path[] = "/tmp/wsgid-enf-XXXXXX";
  const int fd = mkstemp(path);
  check(fd >= 0, "mkstemp");
  check(write(fd, "abc", 3) == 3, "write");
  char buf[4] = {};
  check(pread(fd, buf, 3, 0) == 3 && std::memcmp(buf, "abc", 3) == 0, "pread");
  close(fd);
  check(unlink(path) == 0, "unlink");

  int pair[2];
  check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0, "socketpair");
  check(send(pair[0], "x", 1, 0) == 1 && recv(pair[1], buf, 1, 0) == 1, "send/recv");
  ucred cred{};
  socklen_t len = sizeof cred;
  check(getsockopt(pair[1], SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == getpid(),
        "SO_PEERCRED");
  close(pair[0]);
  close(pair[1]);

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof addr;
  check(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
  check(listen(listener, 4) == 0, "listen");
  check(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &alen) == 0, "getsockname");
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect");
  const int epfd = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  check(epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev) == 0, "epoll_ctl");
  check(epoll_wait(epfd, &ev, 1, 5000) == 1, "epoll_wait");
  const int conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  check(conn >= 0, "accept4");
  for (int f : {conn, client, listener, epfd}) close(f);

  int value = 0;
  std::thread worker([&] { value = 42; });
  worker.join();
  check(value == 42, "std::thread");

  void* mem = mmap(nullptr, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check(mem != MAP_FAILED && munmap(mem, 1 << 16) == 0, "mmap/munmap");
  check(getrandom(buf, sizeof buf, 0) == sizeof buf, "getrandom");
  timespec now{};
  check(clock_gettime(CLOCK_MONOTONIC, &now) == 0, "clock_gettime");
  return failures;
}

TEST(Enforcement, DefaultDeniesTheDangerousCallsWithEperm) {
  const auto outcome = run_in_child([](int) -> std::string {
    if (auto e = apply(Policy{}); !e.empty()) return e;
    if (seccomp_mode() != "Seccomp:\t2") return "not in filter mode: " + seccomp_mode();
    std::string failures;
    // Arguments are invalid on purpose: were the filter missing, each call fails differently
    // (or harmlessly succeeds) instead of changing the machine.
    failures += expect_eperm("ptrace", syscall(SYS_ptrace, 0x4206 /*SEIZE*/, 0, 0, 0));
    failures += expect_eperm("mount", syscall(SYS_mount, nullptr, nullptr, nullptr, 0, nullptr));
    failures += expect_eperm("umount2", syscall(SYS_umount2, nullptr, 0));
    failures += expect_eperm("unshare", syscall(SYS_unshare, 0));
    failures += expect_eperm("setns", syscall(SYS_setns, -1, 0));
    failures += expect_eperm("kexec_load", syscall(SYS_kexec_load, 0, 0, nullptr, ~0UL));
    failures += expect_eperm("bpf", syscall(SYS_bpf, -1, nullptr, 0));
    failures += expect_eperm("init_module", syscall(SYS_init_module, nullptr, 0, nullptr));
    failures += expect_eperm("finit_module", syscall(SYS_finit_module, -1, nullptr, 0));
    failures += expect_eperm("reboot", syscall(SYS_reboot, 0, 0, 0, nullptr));
    failures += expect_eperm("swapon", syscall(SYS_swapon, nullptr, 0));
    failures += expect_eperm("pivot_root", syscall(SYS_pivot_root, nullptr, nullptr));
    // clone with a namespace flag is unshare in disguise.
    const long child = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) _exit(0);
    failures += expect_eperm("clone(CLONE_NEWUSER)", child);
    return failures + everyday_work();
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

// Docker's default profile refuses these; a probe must fail cleanly, not kill the daemon.
TEST(Enforcement, DefaultRefusesNumaPolicyAndExoticSocketFamilies) {
  const auto outcome = run_in_child([](int) -> std::string {
    if (auto e = apply(Policy{.action = Policy::Action::kKill}); !e.empty()) return e;
    std::string failures;
    auto expect_family_refused = [&](const char* what, int family) {
      const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd >= 0) close(fd);
      if (!(fd == -1 && errno == EAFNOSUPPORT)) {
        failures += std::string(what) + " returned " + std::to_string(fd) + " errno " +
                    std::strerror(errno) + "; expected EAFNOSUPPORT\n";
      }
    };
    expect_family_refused("socket(AF_VSOCK)", AF_VSOCK);
    expect_family_refused("socket(AF_ALG)", AF_ALG);
    // Families either side of the refused ones still work (or fail as the kernel says).
    for (int family : {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK}) {
      const int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd < 0 && errno != EAFNOSUPPORT) {
        failures += "socket(" + std::to_string(family) + "): " + std::strerror(errno) + "\n";
      }
      if (fd >= 0) close(fd);
    }
    return failures + everyday_work();
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;

  const auto numa = run_in_child([](int) -> std::string {
    if (auto e = apply(Policy{}); !e.empty()) return e;
    std::string failures;
    int mode = 0;
    failures +=
        expect_eperm("get_mempolicy", syscall(SYS_get_mempolicy, &mode, nullptr, 0, nullptr, 0));
    failures += expect_eperm("set_mempolicy", syscall(SYS_set_mempolicy, 0, nullptr, 0));
    failures += expect_eperm("mbind", syscall(SYS_mbind, nullptr, 0, 0, nullptr, 0, 0));
    return failures;
  });
  EXPECT_TRUE(numa.exited_ok()) << numa.output;
}

TEST(Enforcement, DefaultStillForksAndExecs) {
  const auto outcome = run_in_child([](int) -> std::string {
    if (auto e = apply(Policy{}); !e.empty()) return e;
    const pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/true", "true", nullptr);
      _exit(127);
    }
    if (pid < 0) return std::string("fork: ") + std::strerror(errno);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "/bin/true did not run";
    return {};
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(Enforcement, DenyProcessStopsForkAndExecButNotThreads) {
  const auto outcome = run_in_child([](int) -> std::string {
    Policy policy;
    policy.deny = {"@process"};
    if (auto e = apply(policy); !e.empty()) return e;
    std::string failures;
    const pid_t pid = fork();
    if (pid == 0) _exit(0);
    failures += expect_eperm("fork", pid);
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    failures += expect_eperm("execve", execve("/bin/true", argv, environ));
    const long c3 = syscall(SYS_clone3, nullptr, 0);
    if (!(c3 == -1 && errno == ENOSYS)) failures += "clone3 did not answer ENOSYS\n";
    return failures + everyday_work();  // includes starting a std::thread
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(Enforcement, AllowAddsToTheBase) {
  const auto outcome = run_in_child([](int) -> std::string {
    Policy policy;
    policy.allow = {"@namespace"};
    if (auto e = apply(policy); !e.empty()) return e;
    if (syscall(SYS_unshare, 0) != 0) return std::string("unshare(0): ") + std::strerror(errno);
    return expect_eperm("ptrace", syscall(SYS_ptrace, 0x4206, 0, 0, 0));
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(Enforcement, KillActionKillsTheProcessWithSigsys) {
  const auto outcome = run_in_child([](int) -> std::string {
    Policy policy;
    policy.action = Policy::Action::kKill;
    if (auto e = apply(policy); !e.empty()) return e;
    syscall(SYS_ptrace, 0x4206, 0, 0, 0);
    return "still alive after ptrace";
  });
  EXPECT_TRUE(outcome.killed_by(SIGSYS)) << "status " << outcome.status << " " << outcome.output;
}

TEST(Enforcement, KillActionKillsEveryThreadNotJustTheCaller) {
  const auto outcome = run_in_child([](int) -> std::string {
    Policy policy;
    policy.action = Policy::Action::kKill;
    if (auto e = apply(policy); !e.empty()) return e;
    std::thread([] { syscall(SYS_ptrace, 0x4206, 0, 0, 0); }).join();
    return "process survived a denied call in another thread";
  });
  EXPECT_TRUE(outcome.killed_by(SIGSYS)) << "status " << outcome.status << " " << outcome.output;
}

// The daemon falls back to its socket when memfd_create fails; under kill it must fail, not
// kill the daemon.
TEST(Enforcement, DeniedMemfdCreateFailsWithEpermEvenUnderKill) {
  for (const auto action : {Policy::Action::kErrno, Policy::Action::kKill}) {
    const auto outcome = run_in_child([action](int) -> std::string {
      Policy policy;
      policy.deny = {"memfd_create"};
      policy.action = action;
      if (auto e = apply(policy); !e.empty()) return e;
      return expect_eperm("memfd_create", syscall(SYS_memfd_create, "x", MFD_CLOEXEC)) +
             everyday_work();
    });
    EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
  }
}

// What a daemon's response ring needs (contract/shared_ring.cpp): a sealed memfd, mapped
// shared, and a futex on it that another process wakes.
TEST(Enforcement, DefaultAllowsTheResponseRing) {
  const auto outcome = run_in_child([](int) -> std::string {
    if (auto e = apply(Policy{}); !e.empty()) return e;
    const int fd = memfd_create("x", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return std::string("memfd_create: ") + std::strerror(errno);
    bool ok = ftruncate(fd, 8192) == 0 &&
              fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0;
    void* base = ok ? mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    ok = base != MAP_FAILED;
    if (ok) {
      const timespec zero{0, 0};
      // The word is 0, not 1: the wait returns at once (EAGAIN), but only if it was allowed.
      ok = syscall(SYS_futex, base, FUTEX_WAIT, 1, &zero, nullptr, 0) == -1 && errno == EAGAIN &&
           syscall(SYS_futex, base, FUTEX_WAKE, 1, nullptr, nullptr, 0) == 0;
      munmap(base, 8192);
    }
    close(fd);
    return ok ? std::string() : std::string("seal, map or futex: ") + std::strerror(errno);
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(Enforcement, LogActionLetsTheCallRun) {
  const auto outcome = run_in_child([](int) -> std::string {
    Policy policy;
    policy.action = Policy::Action::kLog;
    if (auto e = apply(policy); !e.empty()) return e;
    if (syscall(SYS_unshare, 0) != 0) return std::string("unshare(0): ") + std::strerror(errno);
    return {};
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(Enforcement, LoadFilterFileAppliesToThreadsStartedBefore) {
  const wsgid::testing::TempDir dir;
  const std::string path = dir.str() + "/site.bpf";
  const CompiledFilter compiled = compile(Policy{});
  ASSERT_TRUE(compiled.ok()) << compiled.error;
  std::string error;
  ASSERT_TRUE(write_filter_file(path, compiled.program, error)) << error;
  const auto outcome = run_in_child([&](int) -> std::string {
    // The thread exists before the filter: TSYNC must cover it too.
    std::atomic<int> stage{0};
    long rc = 0;
    int err = 0;
    std::thread early([&] {
      while (stage.load() == 0) std::this_thread::yield();
      rc = syscall(SYS_unshare, 0);
      err = errno;
      stage.store(2);
    });
    std::string load_error;
    const bool loaded = seccomp::load_filter_file(path, load_error);
    stage.store(1);
    early.join();
    if (!loaded) return load_error;
    errno = err;
    return expect_eperm("unshare in a pre-existing thread", rc);
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

}  // namespace
}  // namespace wsgid::sandbox
