// The group table is data: one row per group, members in one literal. Membership decisions are
// justified in docs/sandbox.md; tests/unit/launcher/sandbox/derive_default_syscalls.sh produced the
// observations that "@default" is checked against.
#include "syscall_groups.hpp"

#include <seccomp.h>

#include <algorithm>
#include <array>
#include <functional>

namespace wsgid::sandbox {
namespace {

constexpr std::array kGroups = {
    SyscallGroup{
        "@default",
        "Base of seccomp = \"default\": what a CPython WSGI daemon and its C extensions need",
        "@basic-io @basic-process @chown @file-system @io-event @ipc @memory "
        "@network-io @process @resources @signal @sync @timer"},
    SyscallGroup{"@basic-io", "Read, write and manage already open file descriptors",
                 "_llseek close close_range copy_file_range dup dup2 dup3 fcntl fcntl64 ioctl "
                 "lseek pread64 preadv preadv2 pwrite64 pwritev pwritev2 read readv sendfile "
                 "sendfile64 splice tee write writev"},
    SyscallGroup{
        "@basic-process",
        "What every process needs: exit, futexes, thread set-up, identity "
        "queries, randomness",
        "arch_prctl capget exit exit_group futex futex_time64 futex_waitv get_robust_list "
        "getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 "
        "getpgid getpgrp getpid getppid getrandom getresgid getresgid32 getresuid "
        "getresuid32 getsid gettid getuid getuid32 membarrier prctl restart_syscall rseq "
        "sched_yield set_robust_list set_thread_area set_tid_address set_tls sysinfo uname"},
    SyscallGroup{"@chown", "Change file ownership (only effective within the caller's rights)",
                 "chown chown32 fchown fchown32 fchownat lchown lchown32"},
    SyscallGroup{"@file-system", "Open, inspect, create, rename and remove files and directories",
                 "access arm_fadvise64_64 chdir chmod creat faccessat faccessat2 fadvise64 "
                 "fadvise64_64 fallocate fchdir fchmod fchmodat fgetxattr flistxattr flock "
                 "fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 ftruncate "
                 "ftruncate64 futimesat getcwd getdents getdents64 getxattr inotify_add_watch "
                 "inotify_init inotify_init1 inotify_rm_watch lgetxattr link linkat listxattr "
                 "llistxattr lremovexattr lsetxattr lstat lstat64 mkdir mkdirat mknod mknodat "
                 "newfstatat oldfstat oldlstat oldstat open openat openat2 readahead readlink "
                 "readlinkat removexattr rename renameat renameat2 rmdir setxattr stat stat64 "
                 "statfs statfs64 statx symlink symlinkat truncate truncate64 umask unlink "
                 "unlinkat utime utimensat utimensat_time64 utimes"},
    SyscallGroup{"@io-event", "Wait for file descriptors to become ready: poll, select, epoll",
                 "_newselect epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_pwait2 "
                 "epoll_wait eventfd eventfd2 poll ppoll ppoll_time64 pselect6 pselect6_time64 "
                 "select"},
    SyscallGroup{"@ipc", "Pipes, System V and POSIX message queues, semaphores, shared memory",
                 "ipc mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 "
                 "mq_timedsend mq_timedsend_time64 mq_unlink msgctl msgget msgrcv msgsnd pipe "
                 "pipe2 semctl semget semop semtimedop semtimedop_time64 shmat shmctl shmdt "
                 "shmget"},
    SyscallGroup{"@memory", "Map, protect and advise on memory",
                 "brk madvise memfd_create mincore mlock mlock2 mlockall mmap mmap2 mprotect "
                 "mremap munlock munlockall munmap pkey_alloc pkey_free pkey_mprotect"},
    SyscallGroup{"@numa", "Read and set NUMA memory policy, move pages between nodes",
                 "get_mempolicy mbind migrate_pages move_pages set_mempolicy"},
    SyscallGroup{"@network-io", "Create, connect and use sockets",
                 "accept accept4 bind connect getpeername getsockname getsockopt listen recv "
                 "recvfrom recvmmsg recvmmsg_time64 recvmsg send sendmmsg sendmsg sendto "
                 "setsockopt shutdown socket socketcall socketpair"},
    SyscallGroup{"@process", "Create processes, execute programs, wait for children",
                 "clone clone3 execve execveat fork pidfd_open pidfd_send_signal setpgid setsid "
                 "vfork wait4 waitid waitpid"},
    SyscallGroup{"@resources", "Query and set resource limits, priorities and CPU affinity",
                 "getcpu getpriority getrlimit getrusage ioprio_get ioprio_set prlimit64 "
                 "sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr "
                 "sched_getparam sched_getscheduler sched_rr_get_interval "
                 "sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam "
                 "sched_setscheduler setpriority setrlimit ugetrlimit"},
    SyscallGroup{"@signal", "Handle, block, wait for and send signals",
                 "kill pause rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo "
                 "rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 "
                 "rt_tgsigqueueinfo sigaction sigaltstack signal signalfd signalfd4 sigpending "
                 "sigprocmask sigreturn sigsuspend tgkill tkill"},
    SyscallGroup{"@sync", "Flush file data to storage",
                 "fdatasync fsync msync sync sync_file_range sync_file_range2 syncfs"},
    SyscallGroup{"@timer", "Read clocks, sleep, and arm timers",
                 "alarm clock_getres clock_getres_time64 clock_gettime clock_gettime64 "
                 "clock_nanosleep clock_nanosleep_time64 getitimer gettimeofday nanosleep "
                 "setitimer time timer_create timer_delete timer_getoverrun timer_gettime "
                 "timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime "
                 "timerfd_gettime64 timerfd_settime timerfd_settime64 times"},
    SyscallGroup{"@privileged",
                 "Operations a daemon never needs and that need (or grant) privileges",
                 "@clock @keyring @module @mount @namespace @raw-io @reboot @setuid @swap acct "
                 "bpf capset chroot fanotify_init nfsservctl open_by_handle_at quotactl "
                 "quotactl_fd sethostname setdomainname syslog userfaultfd vhangup"},
    SyscallGroup{"@clock", "Set the system clock",
                 "adjtimex clock_adjtime clock_adjtime64 "
                 "clock_settime clock_settime64 settimeofday "
                 "stime"},
    SyscallGroup{"@keyring", "Kernel keyring access", "add_key keyctl request_key"},
    SyscallGroup{"@module", "Load and unload kernel modules",
                 "create_module delete_module finit_module get_kernel_syms init_module "
                 "query_module"},
    SyscallGroup{"@mount", "Mount and unmount file systems, change the root",
                 "fsconfig fsmount fsopen fspick mount mount_setattr move_mount open_tree "
                 "pivot_root umount umount2"},
    SyscallGroup{"@namespace", "Create or enter namespaces (clone's CLONE_NEW* flags follow this)",
                 "setns unshare"},
    SyscallGroup{"@raw-io", "Raw I/O port and PCI configuration access",
                 "ioperm iopl pciconfig_iobase pciconfig_read pciconfig_write s390_pci_mmio_read "
                 "s390_pci_mmio_write"},
    SyscallGroup{"@reboot", "Reboot the machine or load a new kernel",
                 "kexec_file_load kexec_load reboot"},
    SyscallGroup{"@setuid", "Change user and group identities",
                 "setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 "
                 "setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid "
                 "setreuid32 setuid setuid32"},
    SyscallGroup{"@swap", "Enable and disable swap devices", "swapoff swapon"},
    SyscallGroup{"@debug", "Trace and inspect other processes, performance counters",
                 "kcmp lookup_dcookie perf_event_open pidfd_getfd process_madvise "
                 "process_vm_readv process_vm_writev ptrace sys_debug_setcontext"},
    SyscallGroup{"@obsolete", "Syscalls unused by current C libraries",
                 "_sysctl afs_syscall bdflush break create_module ftime get_kernel_syms getpmsg "
                 "gtty idle lock mpx prof profil putpmsg query_module security sgetmask ssetmask "
                 "stty sysfs tuxcall ulimit uselib ustat vserver"},
    SyscallGroup{"@cpu-emulation", "Legacy CPU modes and segment tables",
                 "modify_ldt subpage_prot switch_endian vm86 vm86old"},
    SyscallGroup{"@aio", "Kernel asynchronous I/O (io_submit family)",
                 "io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup "
                 "io_submit"},
    SyscallGroup{"@io-uring", "io_uring rings", "io_uring_enter io_uring_register io_uring_setup"},
    SyscallGroup{"@sandbox", "Apply further seccomp filters or Landlock rules to oneself",
                 "landlock_add_rule landlock_create_ruleset landlock_restrict_self seccomp"},
};

// Optimal string alignment distance: an adjacent transposition ("netwrok") counts as one typo.
std::size_t typo_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::span<const SyscallGroup> all_groups() { return kGroups; }

const SyscallGroup* find_group(std::string_view name) {
  for (const auto& group : kGroups) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

std::vector<std::string_view> group_members(const SyscallGroup& group) {
  std::vector<std::string_view> members;
  std::string_view rest = group.members;
  while (!rest.empty()) {
    const auto space = rest.find(' ');
    const auto word = rest.substr(0, space);
    if (!word.empty()) members.push_back(word);
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return members;
}

Resolution resolve(std::span<const std::string> names) {
  Resolution out;
  std::set<std::string_view> expanded;  // groups already visited: tolerates shared members
  std::function<void(std::string_view)> add = [&](std::string_view name) {
    if (const SyscallGroup* group = find_group(name)) {
      if (!expanded.insert(group->name).second) return;
      for (auto member : group_members(*group)) add(member);
    } else if (!name.starts_with('@') && is_known_syscall(name)) {
      out.syscalls.emplace(name);
    } else {
      out.unknown.emplace_back(name);
    }
  };
  for (const auto& name : names) add(name);
  return out;
}

bool is_known_syscall(std::string_view name) {
  if (name.empty() || name.starts_with('@')) return false;
  // libseccomp answers a negative pseudo number for syscalls that exist only on other
  // architectures and __NR_SCMP_ERROR for names it has never heard of.
  const std::string text(name);
  return seccomp_syscall_resolve_name(text.c_str()) != __NR_SCMP_ERROR;
}

const std::vector<std::string>& known_syscalls() {
  static const std::vector<std::string> names = [] {
    std::set<std::string> found;
    auto collect = [&](int nr) {
      if (char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr)) {
        found.emplace(name);
        free(name);  // NOLINT: libseccomp hands out malloc'd strings
      }
    };
    // Real numbers on this architecture, then libseccomp's pseudo numbers (-10001 downwards)
    // that stand for syscalls of other architectures.
    for (int nr = 0; nr < 2048; ++nr) collect(nr);
    for (int nr = -10001; nr > -11024; --nr) collect(nr);
    return std::vector<std::string>(found.begin(), found.end());
  }();
  return names;
}

std::optional<std::string> suggest_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(1, std::min<std::size_t>(3, name.size() / 3));
  auto consider = [&](std::string_view candidate) {
    // The distance is at least the difference in length: a 100 KB name is dismissed at once
    // instead of filling a table per syscall.
    const std::size_t longer = std::max(name.size(), candidate.size());
    if (longer - std::min(name.size(), candidate.size()) > best_distance) return;
    const std::size_t distance = typo_distance(name, candidate);
    if (distance <= best_distance && (!best || distance < best_distance)) {
      best = std::string(candidate);
      best_distance = distance;
    }
  };
  for (const auto& group : kGroups) consider(group.name);
  if (!name.starts_with('@')) {
    for (const auto& syscall : known_syscalls()) consider(syscall);
  }
  return best;
}

void print_groups(std::ostream& out) {
  constexpr std::size_t kWidth = 100;
  bool first = true;
  for (const auto& group : kGroups) {
    if (!first) out << '\n';
    first = false;
    out << group.name << "\n    # " << group.help << '\n';
    std::string line = "    ";
    for (auto member : group_members(group)) {
      if (line.size() > 4 && line.size() + 1 + member.size() > kWidth) {
        out << line << '\n';
        line = "    ";
      }
      if (line.size() > 4) line += ' ';
      line += member;
    }
    out << line << '\n';
  }
}

}  // namespace wsgid::sandbox
