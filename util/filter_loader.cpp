// Installs a precompiled filter with plain prctl/seccomp(2), so the daemon side needs no
// libseccomp. Every failure is reported: the caller must not serve unsandboxed.
#include "filter_loader.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <pthread.h>

#include <algorithm>
#include <cstring>

#include "quoted.hpp"
#include "unique_fd.hpp"

namespace wsgid::seccomp {
namespace {

// `what` names the source in messages: a quoted file path or "program".
bool check_size(std::size_t bytes, const std::string& what, std::string& error) {
  if (bytes == 0) {
    error = "WSGID3021: seccomp filter " + what +
            " is empty; re-render the site (wsgid render) or set seccomp = \"off\"";
    return false;
  }
  if (bytes % sizeof(sock_filter) != 0) {
    error = "WSGID3022: seccomp filter " + what + " is " + std::to_string(bytes) +
            " bytes, not a whole number of " + std::to_string(sizeof(sock_filter)) +
            "-byte BPF instructions; the file is corrupt: re-render the site (wsgid render)";
    return false;
  }
  if (bytes / sizeof(sock_filter) > kMaxFilterInstructions) {
    error = "WSGID3023: seccomp filter " + what + " has " +
            std::to_string(bytes / sizeof(sock_filter)) +
            " instructions, more than the kernel's limit of " +
            std::to_string(kMaxFilterInstructions) + "; the file is not a wsgid filter";
    return false;
  }
  return true;
}

// Asked before the filter is in place: once it is, the reporter may not be allowed seccomp(2).
seccomp_notif_sizes g_notif_sizes{};

}  // namespace

bool read_filter_file(const std::string& path, std::vector<std::uint8_t>& program,
                      std::string& error) {
  auto fail = [&](std::string_view step) {
    error = "WSGID3020: cannot read seccomp filter " + quoted(path) + " (" + std::string(step) +
            "): " + std::strerror(errno) + "; re-render the site (wsgid render)";
    return false;
  };
  const UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return fail("open");
  struct stat st {};
  if (fstat(fd.get(), &st) < 0) return fail("stat");
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return fail("not a regular file");
  }
  // Check the size before reading so a huge or odd file is refused without loading it.
  if (!check_size(static_cast<std::size_t>(st.st_size), quoted(path), error)) return false;
  program.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < program.size()) {
    const ssize_t n = read(fd.get(), program.data() + done, program.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read");
    if (n == 0) {
      errno = EIO;
      return fail("file shrank while reading");
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

// Installs the program; returns the syscall's result (a listener fd with NEW_LISTENER).
long install(std::span<const std::uint8_t> program, unsigned long flags, std::string& error) {
  if (!check_size(program.size(), "program", error)) return -1;
  // Copy into properly aligned instructions; the byte buffer carries no alignment guarantee.
  std::vector<sock_filter> instructions(program.size() / sizeof(sock_filter));
  std::memcpy(instructions.data(), program.data(), program.size());
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(instructions.size());
  fprog.filter = instructions.data();

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    error = "WSGID3024: cannot set PR_SET_NO_NEW_PRIVS: " + std::string(std::strerror(errno)) +
            "; the kernel must be Linux 3.5 or newer";
    return false;
  }
  const long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (rc < 0) {
    error =
        "WSGID3025: the kernel refused the seccomp filter: " + std::string(std::strerror(errno)) +
        (errno == EINVAL ? " (invalid program or an action this kernel lacks; Linux 4.14+ "
                           "is needed); re-render the site (wsgid render)"
                         : "; seccomp must be enabled in the kernel and allowed by the "
                           "container runtime");
    return -1;
  }
  if (rc > 0 && !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)) {
    error = "WSGID3026: thread " + std::to_string(rc) +
            " could not take the seccomp filter (it runs under a different filter); load the "
            "filter before starting threads that install their own";
    return -1;
  }
  return rc;
}

}  // namespace

bool load_filter(std::span<const std::uint8_t> program, std::string& error) {
  return install(program, SECCOMP_FILTER_FLAG_TSYNC, error) == 0;
}

int load_filter_with_listener(std::span<const std::uint8_t> program, std::string& error) {
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &g_notif_sizes) != 0) {
    error = "WSGID3025: the kernel has no seccomp user notifications (Linux 5.0+ needed): " +
            std::string(std::strerror(errno));
    return -1;
  }
  // TSYNC_ESRCH: with a listener, a thread that cannot be synchronised is an error (ESRCH)
  // instead of its id, so the return value can be the listener fd.
  const long rc = install(program,
                          SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
                              SECCOMP_FILTER_FLAG_NEW_LISTENER,
                          error);
  return rc < 0 ? -1 : static_cast<int>(rc);
}

bool load_filter_file(const std::string& path, std::string& error) {
  std::vector<std::uint8_t> program;
  return read_filter_file(path, program, error) && load_filter(program, error);
}

}  // namespace wsgid::seccomp

namespace wsgid::seccomp {
namespace {

struct SyscallEntry {
  long nr;
  const char* name;
};

constexpr SyscallEntry kSyscallNames[] = {
#include "syscall_names.inc"
};

struct Reporter {
  int listener;
  int log_fd;
  DenialMode mode;
};

void write_line(int fd, const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// Kills the process that made the call: this one when the thread is ours, else a child that
// inherited the filter. Only calls the filter always allows the reporter (see policy.cpp): a
// denied call of its own would wait for an answer only this thread can give.
// SIGKILL, because the caller may block every other signal (CPython does around vfork), and a
// blocked SIGSYS would leave it waiting for an answer forever.
void kill_caller(pid_t tid) {
  if (syscall(SYS_tgkill, getpid(), tid, SIGKILL) != 0) kill(tid, SIGKILL);
}

void* run_reporter(void* arg) {
  const Reporter reporter = *static_cast<Reporter*>(arg);
  delete static_cast<Reporter*>(arg);
  const seccomp_notif_sizes sizes = g_notif_sizes;
  std::vector<unsigned char> req_buf(
      std::max<std::size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
  std::vector<unsigned char> resp_buf(
      std::max<std::size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
  std::vector<bool> logged(1024, false);
  for (;;) {
    std::fill(req_buf.begin(), req_buf.end(), 0);
    auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
    if (ioctl(reporter.listener, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;  // ENOENT: the caller died meanwhile
      return nullptr;
    }
    const long nr = req->data.nr;
    const auto caller = static_cast<pid_t>(req->pid);
    const std::string what = std::string(syscall_name(nr)) + " (" + std::to_string(nr) +
                             ") in thread " + std::to_string(caller);
    if (reporter.mode == DenialMode::kKill) {
      write_line(reporter.log_fd, "WSGID3031: seccomp denied syscall " + what +
                                      "; killing the process (allow it in the site's sandbox if "
                                      "the application needs it)\n");
      kill_caller(caller);
      continue;
    }
    if (nr >= 0 && static_cast<std::size_t>(nr) < logged.size() && !logged[nr]) {
      logged[nr] = true;
      write_line(reporter.log_fd, "WSGID3032: seccomp (learning mode) allowed syscall " + what +
                                      " that the policy denies; add it to sandbox.allow to keep "
                                      "it under action \"kill\" or \"errno\"\n");
    }
    std::fill(resp_buf.begin(), resp_buf.end(), 0);
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf.data());
    resp->id = req->id;
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(reporter.listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
  }
}

}  // namespace

const char* syscall_name(long nr) {
  for (const SyscallEntry& e : kSyscallNames) {
    if (e.nr == nr) return e.name;
  }
  return "unknown";
}

bool start_denial_reporter(int listener_fd, int log_fd, DenialMode mode, std::string& error) {
  // The reporter takes no process signals: they stay with the threads that handle them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  auto* arg = new Reporter{listener_fd, log_fd, mode};
  const int rc = pthread_create(&thread, nullptr, run_reporter, arg);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    delete arg;
    close(listener_fd);
    error =
        "WSGID3027: cannot start the seccomp denial reporter: " + std::string(std::strerror(rc));
    return false;
  }
  pthread_detach(thread);
  return true;
}

}  // namespace wsgid::seccomp
