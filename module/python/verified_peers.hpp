// The worker processes a daemon has already shown to be httpd's (peer_auth.cpp reads each one's
// parent from /proc), remembered by a pidfd of the process itself so that its next connections
// skip that read. A pid names a process only while it lives; a pidfd names one process for
// good and becomes readable when it exits. So a remembered pid whose pidfd is not readable is
// still held by the process that was checked, and a pid reused after it exited is checked anew.
//
// The pidfd is the connection's SO_PEERPIDFD (Linux 6.5): no system call a site's sandbox may
// deny. Where the kernel lacks it, nothing is remembered and every connection is checked as
// before.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <mutex>
#include <vector>

#include "unique_fd.hpp"

namespace wsgid::python {

class VerifiedPeers {
 public:
  static constexpr std::size_t kCapacity = 64;  // more worker processes are checked each time

  // A pidfd of the process at the other end of `connection` (as it was when it connected), or
  // an empty UniqueFd when the kernel cannot give one.
  static UniqueFd pidfd_of(int connection);

  // Was the process now holding `pid` shown to be a worker, and has it lived since?
  bool contains(pid_t pid);

  // Remembers the process behind `pidfd` (the connection's peer, taken before its check) as a
  // worker with `pid`, if it is still alive: then the /proc entry that was checked was its own.
  void remember(pid_t pid, UniqueFd pidfd);

 private:
  struct Entry {
    pid_t pid;
    UniqueFd pidfd;
    dev_t dev;  // the pidfd's identity when remembered: an app that closed it and got the
    ino_t ino;  // number back for another file does not make a dead process look alive
  };
  static bool still_ours(const Entry& e);  // its descriptor is still the pidfd remembered
  static bool alive(const Entry& e);       // ... and its process has not exited
  void forget(std::size_t i);              // with mutex_ held

  std::mutex mutex_;
  std::vector<Entry> entries_;  // oldest first
};

}  // namespace wsgid::python
