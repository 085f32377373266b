// The descriptors a daemon sends with ResponseFile and Ring frames (SCM_RIGHTS), queued in
// arrival order until their frames are decoded. The kernel hands a frame's descriptor to the read
// that reaches its first byte and never joins two frames' descriptors in one read, so a queue in
// arrival order matches them to their frames.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>

namespace wsgid {

class ReceivedFds {
 public:
  ReceivedFds() = default;
  ~ReceivedFds() { clear(); }
  ReceivedFds(const ReceivedFds&) = delete;
  ReceivedFds& operator=(const ReceivedFds&) = delete;

  // recvmsg on `fd` without blocking, into `iov`, queueing the descriptors that came along.
  ssize_t receive(int fd, iovec* iov, int count);
  bool empty() const { return count_ == 0; }
  // Descriptors were dropped (MSG_CTRUNC, or more than frames can be waiting for): the frames
  // that needed them will find none, an error.
  bool lost() const { return lost_; }
  // The oldest descriptor, now the caller's. Only when !empty().
  int pop();
  // Closes every queued descriptor and forgets the loss (a resend starts afresh).
  void clear();

 private:
  void push(int fd);
  std::array<int, 8> fds_{};
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  bool lost_ = false;
};

}  // namespace wsgid
