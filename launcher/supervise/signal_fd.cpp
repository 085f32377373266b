#include "signal_fd.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace wsgid::supervise {

SignalFd::SignalFd(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (const int signal : signals) sigaddset(&set, signal);
  if (const int error = pthread_sigmask(SIG_BLOCK, &set, &previous_); error != 0) {
    throw std::system_error(error, std::generic_category(), "pthread_sigmask");
  }
  fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd_ < 0) {
    const int error = errno;
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    throw std::system_error(error, std::generic_category(), "signalfd");
  }
}

SignalFd::~SignalFd() {
  ::close(fd_);
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

std::optional<int> SignalFd::read_one() {
  signalfd_siginfo info{};
  for (;;) {
    const ssize_t n = ::read(fd_, &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info)) return static_cast<int>(info.ssi_signo);
    if (n < 0 && errno == EINTR) continue;
    return std::nullopt;
  }
}

std::optional<int> SignalFd::wait(int timeout_ms) {
  if (auto pending = read_one()) return pending;
  pollfd entry{fd_, POLLIN, 0};
  const int ready = ::poll(&entry, 1, timeout_ms);
  if (ready <= 0) return std::nullopt;
  return read_one();
}

}  // namespace wsgid::supervise
