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

#include <atomic>
#include <cstring>

namespace wsgid::sandbox {
namespace {

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

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

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

std::atomic<int> g_report_fd{-1};

// Async-signal-safe: fixed buffer, no allocation, only write/sigaction/kill.
void append(char*& out, const char* end, const char* text) {
  while (*text != '\0' && out < end) *out++ = *text++;
}

void append_number(char*& out, const char* end, unsigned long value, unsigned base) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value % base];
    value /= base;
  } while (value != 0 && n < 24);
  while (n > 0 && out < end) *out++ = digits[--n];
}

void report_sigsys(int, siginfo_t* info, void*) {
  const int saved_errno = errno;
  char buffer[160];
  char* out = buffer;
  const char* end = buffer + sizeof buffer;
  append(out, end, "WSGID3030: seccomp denied syscall ");
  const int nr = info->si_syscall;
  if (nr < 0) append(out, end, "-");
  append_number(out, end, static_cast<unsigned long>(nr < 0 ? -nr : nr), 10);
  append(out, end, " (arch 0x");
  append_number(out, end, info->si_arch, 16);
  append(out, end, ") in pid ");
  append_number(out, end, static_cast<unsigned long>(getpid()), 10);
  append(out, end, "; killing the process (\"scmp_sys_resolver NUMBER\" names it)\n");
  const int fd = g_report_fd.load();
  if (fd >= 0) {
    [[maybe_unused]] ssize_t ignored = write(fd, buffer, static_cast<std::size_t>(out - buffer));
  }
  // Die of SIGSYS so the supervisor sees the real cause. If even kill is filtered, the forced
  // SIGSYS from that denial finds the default disposition and ends the process just the same.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGSYS, &dfl, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSYS);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  kill(getpid(), SIGSYS);
  errno = saved_errno;
  _exit(128 + SIGSYS);
}

}  // namespace

bool read_filter_file(const std::string& path, std::vector<std::uint8_t>& program,
                      std::string& error) {
  auto fail = [&](std::string_view step) {
    error = "WSGID3020: cannot read seccomp filter " + quoted(path) + " (" + std::string(step) +
            "): " + std::strerror(errno) + "; re-render the site (wsgid render)";
    return false;
  };
  FdCloser fd{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return fail("open");
  struct stat st {};
  if (fstat(fd.fd, &st) < 0) return fail("stat");
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return fail("not a regular file");
  }
  // Check the size before reading so a huge or odd file is refused without loading it.
  if (!check_size(static_cast<std::size_t>(st.st_size), quoted(path), error)) return false;
  program.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < program.size()) {
    const ssize_t n = read(fd.fd, program.data() + done, program.size() - done);
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

bool load_filter(std::span<const std::uint8_t> program, std::string& error) {
  if (!check_size(program.size(), "program", error)) return false;
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
  const long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);
  if (rc < 0) {
    error =
        "WSGID3025: the kernel refused the seccomp filter: " + std::string(std::strerror(errno)) +
        (errno == EINVAL ? " (invalid program or an action this kernel lacks; Linux 4.14+ "
                           "is needed); re-render the site (wsgid render)"
                         : "; seccomp must be enabled in the kernel and allowed by the "
                           "container runtime");
    return false;
  }
  if (rc > 0) {
    error = "WSGID3026: thread " + std::to_string(rc) +
            " could not take the seccomp filter (it runs under a different filter); load the "
            "filter before starting threads that install their own";
    return false;
  }
  return true;
}

bool load_filter_file(const std::string& path, std::string& error) {
  std::vector<std::uint8_t> program;
  return read_filter_file(path, program, error) && load_filter(program, error);
}

bool install_sigsys_reporter(int log_fd, std::string& error) {
  g_report_fd.store(log_fd);
  struct sigaction action {};
  action.sa_sigaction = report_sigsys;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, nullptr) != 0) {
    error = "WSGID3027: cannot install the SIGSYS handler: " + std::string(std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace wsgid::sandbox
