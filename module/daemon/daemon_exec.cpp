#include "daemon_exec.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "unique_fd.hpp"

namespace wsgid {
namespace {

std::string failure(const char* what, const std::string& about) {
  return std::string(what) + " " + about + ": " + std::strerror(errno);
}

bool keep_across_exec(int fd) {
  if (fd < 0) return true;
  const int flags = fcntl(fd, F_GETFD);
  return flags >= 0 && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == 0;
}

}  // namespace

std::string exec_daemon_helper(const std::string& helper, char* const* argv,
                               const wsgid_daemon_spec& spec, const SpecExtras& extras) {
  const std::string bytes = encode_daemon_spec(spec, extras);
  // Not close-on-exec: it is the helper's. Sealed, so nothing can change it once written.
  UniqueFd memfd(memfd_create("wsgid-daemon-spec", MFD_ALLOW_SEALING));
  if (memfd.get() < 0) return failure("cannot create", "the daemon's spec memfd");
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = write(memfd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failure("cannot write", "the daemon's spec memfd");
    done += static_cast<std::size_t>(n);
  }
  if (fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) !=
          0 ||
      lseek(memfd.get(), 0, SEEK_SET) != 0) {
    return failure("cannot seal", "the daemon's spec memfd");
  }
  for (const int fd : {spec.listen_fd, spec.log_fd, extras.scoreboard_fd}) {
    if (!keep_across_exec(fd)) {
      return failure("cannot hand over descriptor", std::to_string(fd));
    }
  }
  if (setenv(kDaemonSpecFdVariable, std::to_string(memfd.get()).c_str(), 1) != 0) {
    return failure("cannot set", kDaemonSpecFdVariable);
  }
  execv(helper.c_str(), argv);
  const std::string why = failure("cannot run", helper);
  unsetenv(kDaemonSpecFdVariable);
  return why;
}

}  // namespace wsgid
