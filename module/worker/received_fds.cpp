#include "received_fds.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace wsgid {

ssize_t ReceivedFds::receive(int fd, iovec* iov, int count) {
  alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<std::size_t>(count);
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  const ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0) return n;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < fds; ++i) {
      int received = -1;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
      push(received);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) lost_ = true;
  return n;
}

void ReceivedFds::push(int fd) {
  if (count_ == fds_.size()) {
    close(fd);  // more descriptors than frames can be waiting for: the frames find none
    lost_ = true;
    return;
  }
  fds_[(head_ + count_++) % fds_.size()] = fd;
}

int ReceivedFds::pop() {
  const int fd = fds_[head_];
  head_ = (head_ + 1) % fds_.size();
  --count_;
  return fd;
}

void ReceivedFds::clear() {
  while (count_ > 0) close(pop());
  lost_ = false;
}

}  // namespace wsgid
