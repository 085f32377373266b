#include "verified_peers.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>

// Linux 6.5's asm-generic value; Debian 12's headers predate it. Other architectures number
// it differently, and there nothing is remembered.
#if !defined(SO_PEERPIDFD) && (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
                               defined(__arm__) || defined(__riscv))
#define SO_PEERPIDFD 77
#endif

namespace wsgid::python {

UniqueFd VerifiedPeers::pidfd_of(int connection) {
#ifdef SO_PEERPIDFD
  int pidfd = -1;
  socklen_t len = sizeof pidfd;
  // Close-on-exec, as every pidfd: an app's child does not inherit it.
  if (::getsockopt(connection, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 &&
      len == sizeof pidfd && pidfd >= 0) {
    return UniqueFd(pidfd);
  }
#else
  (void)connection;
#endif
  return UniqueFd();
}

bool VerifiedPeers::still_ours(const Entry& e) {
  struct stat st {};
  return ::fstat(e.pidfd.get(), &st) == 0 && st.st_dev == e.dev && st.st_ino == e.ino;
}

bool VerifiedPeers::alive(const Entry& e) {
  if (!still_ours(e)) return false;
  pollfd p{e.pidfd.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;  // a pidfd is readable once its process has exited
}

// Drops an entry. Its descriptor is closed only while it is still the pidfd remembered: one an
// app closed may have been reused since for a file that is not ours to close.
void VerifiedPeers::forget(std::size_t i) {
  if (!still_ours(entries_[i])) entries_[i].pidfd.release();
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
}

bool VerifiedPeers::contains(pid_t pid) {
  const std::lock_guard lock(mutex_);
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [pid](const Entry& e) { return e.pid == pid; });
  if (it == entries_.end()) return false;
  if (alive(*it)) return true;
  // Exited: its pid may be another process's by now.
  forget(static_cast<std::size_t>(it - entries_.begin()));
  return false;
}

void VerifiedPeers::remember(pid_t pid, UniqueFd pidfd) {
  if (pidfd.get() < 0) return;
  struct stat st {};
  if (::fstat(pidfd.get(), &st) != 0) return;
  Entry entry{pid, std::move(pidfd), st.st_dev, st.st_ino};
  // Exited while it was checked: the /proc entry read may have been a successor's.
  if (!alive(entry)) return;
  const std::lock_guard lock(mutex_);
  // The pid's earlier process (it exited, or this is a second check of it); when full, the
  // processes that exited, else the oldest.
  for (std::size_t i = 0; i < entries_.size();) {
    if (entries_[i].pid == pid || (entries_.size() >= kCapacity && !alive(entries_[i]))) {
      forget(i);
    } else {
      ++i;
    }
  }
  if (entries_.size() >= kCapacity) forget(0);
  entries_.push_back(std::move(entry));
}

}  // namespace wsgid::python
