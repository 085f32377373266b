// The httpd child: started with a clean signal mask and default dispositions (the launcher
// blocks the signals it owns; a child must not inherit that), signalled and reaped by pid.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace wsgid::supervise {

class ChildProcess {
 public:
  // Throws std::system_error when the program cannot be started.
  explicit ChildProcess(const std::vector<std::string>& argv);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // A child still running when its owner goes away is killed and reaped: never leak httpd.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const { return !status_; }
  void signal(int signal) const;
  // Records the exit if `pid` is this child; returns whether it was.
  bool on_reaped(pid_t pid, int wait_status);
  // Reaps this child if it has exited (non-blocking).
  void poll_exit();
  // Shell-style exit code: the exit status, or 128 + the signal that killed it.
  std::optional<int> exit_code() const { return status_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace wsgid::supervise
