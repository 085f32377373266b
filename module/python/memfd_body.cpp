#include "memfd_body.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "error_log.hpp"

namespace wsgid::python {
namespace {

std::atomic<bool> g_unavailable{false};
std::atomic<bool> g_transient_logged{false};

// Errors that say memfds will never work in this process: no kernel support, a seccomp filter
// that answers EPERM, a kernel without sealing. Anything else (ENOMEM, EMFILE, ENFILE, ENOSPC
// under a memory limit) may pass, so the next large chunk tries again.
bool permanent(int error) { return error == ENOSYS || error == EPERM || error == EINVAL; }

void note_failure(const char* step, int error) {
  std::string why = std::string(step) + ": " + std::strerror(error);
  if (permanent(error)) {
    if (!g_unavailable.exchange(true)) {
      log_line(LogLevel::kInfo,
               "WSGID0540: large response bodies go through the worker socket "
               "in this process, not as memfds (" +
                   why + ")");
    }
  } else if (!g_transient_logged.exchange(true)) {
    log_line(LogLevel::kInfo,
             "WSGID0540: a large response body went through the worker socket instead of a "
             "memfd (" +
                 why + "); logged once per process");
  }
}

}  // namespace

bool memfd_body_available() { return !g_unavailable.load(std::memory_order_relaxed); }

UniqueFd sealed_memfd_copy(std::string_view data) {
  UniqueFd fd(::memfd_create("wsgid-body", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd.get() < 0) {
    note_failure("memfd_create", errno);
    return UniqueFd();
  }
  // pwrite, not write: the file offset stays 0, and the worker shares it (SCM_RIGHTS passes the
  // same open file description).
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pwrite(fd.get(), data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      note_failure("write to memfd", n < 0 ? errno : ENOSPC);
      return UniqueFd();
    }
  }
  // Sealed, the pages cannot change under the worker's sendfile or mmap, whatever this process
  // does next; F_SEAL_SEAL keeps anyone from lifting that.
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) !=
      0) {
    note_failure("sealing the memfd", errno);
    return UniqueFd();
  }
  return fd;
}

}  // namespace wsgid::python
