// The descriptors a daemon cannot serve without (its listening socket, epoll set, eventfds,
// signal fd, error log), remembered by identity so that an application that closes them
// (os.closerange(0, 20), a careless daemonising library) or reuses their numbers is noticed.
// Such a process cannot accept or even wait any more: it exits for the parent to replace it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace wsgid::python {

class FdGuard {
 public:
  // Remembers what `fd` is now (ignored if it is not open).
  void watch(int fd, const char* what);
  // "" while every watched descriptor is still what it was; else which one is gone.
  std::string lost() const;

 private:
  struct Watched {
    int fd;
    dev_t dev;
    ino_t ino;
    const char* what;
  };
  std::vector<Watched> watched_;
};

}  // namespace wsgid::python
