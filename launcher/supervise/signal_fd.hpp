// Signals as readable events: the launcher blocks the signals it owns and reads them from a
// signalfd in its poll loop, so no work happens in async-signal context.
#pragma once

#include <signal.h>

#include <initializer_list>
#include <optional>

namespace wsgid::supervise {

class SignalFd {
 public:
  // Blocks `signals` for this thread and opens a signalfd for them; the previous mask is
  // restored on destruction. Throws std::system_error on failure.
  explicit SignalFd(std::initializer_list<int> signals);
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;
  ~SignalFd();

  int fd() const { return fd_; }
  // The next pending signal number, or nullopt when none is pending.
  std::optional<int> read_one();
  // Waits up to timeout_ms for a signal (-1: forever); nullopt on timeout.
  std::optional<int> wait(int timeout_ms);

 private:
  int fd_ = -1;
  sigset_t previous_{};
};

}  // namespace wsgid::supervise
