#include "seccomp_filter.hpp"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace wsgid {
namespace {

constexpr std::size_t kMaxInstructions = BPF_MAXINSNS;

}  // namespace

bool SeccompFilter::load_file(const char* path, std::string& error) {
  path_ = path;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "seccomp-filter=" + path_ + ": " + std::strerror(errno);
    return false;
  }
  std::vector<unsigned char> data;
  unsigned char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.insert(data.end(), buf, buf + n);
    if (data.size() > kMaxInstructions * sizeof(sock_filter)) break;
  }
  close(fd);
  if (data.empty() || data.size() % sizeof(sock_filter) != 0 ||
      data.size() > kMaxInstructions * sizeof(sock_filter)) {
    error = "seccomp-filter=" + path_ +
            " is not a BPF program (expected a non-empty whole number of 8-byte instructions, "
            "at most 4096): regenerate it with `wsgid render`";
    return false;
  }
  program_ = std::move(data);
  return true;
}

bool SeccompFilter::apply(std::string& error) const {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    error = std::string("PR_SET_NO_NEW_PRIVS failed: ") + std::strerror(errno);
    return false;
  }
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program_.size() / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(const_cast<unsigned char*>(program_.data()));
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0) {
    error = "seccomp-filter=" + path_ + " could not be installed: " + std::strerror(errno);
    return false;
  }
  return true;
}

int SeccompFilter::apply_callback(void* self, char* err, std::size_t err_len) {
  std::string error;
  if (static_cast<const SeccompFilter*>(self)->apply(error)) return 0;
  std::snprintf(err, err_len, "%s", error.c_str());
  return 1;
}

}  // namespace wsgid
