#include "fd_guard.hpp"

#include <sys/stat.h>

namespace wsgid::python {

void FdGuard::watch(int fd, const char* what) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) return;
  watched_.push_back({fd, st.st_dev, st.st_ino, what});
}

std::string FdGuard::lost() const {
  for (const Watched& w : watched_) {
    struct stat st {};
    if (fstat(w.fd, &st) != 0) {
      return "fd " + std::to_string(w.fd) + " (" + w.what + ") was closed";
    }
    if (st.st_dev != w.dev || st.st_ino != w.ino) {
      return "fd " + std::to_string(w.fd) + " (" + w.what + ") now refers to another file";
    }
  }
  return {};
}

}  // namespace wsgid::python
