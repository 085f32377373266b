#include "child_process.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <system_error>

#include "spawn.hpp"

namespace wsgid::supervise {
namespace {

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
  if (const int error = spawn(argv, {}, pid_); error != 0) {
    throw std::system_error(error, std::generic_category(), "cannot start " + argv[0]);
  }
}

ChildProcess::~ChildProcess() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::signal(int signal) const {
  if (running()) ::kill(pid_, signal);
}

bool ChildProcess::on_reaped(pid_t pid, int wait_status) {
  if (pid != pid_) return false;
  status_ = exit_code_of(wait_status);
  return true;
}

void ChildProcess::poll_exit() {
  if (!running()) return;
  int status = 0;
  pid_t reaped = 0;
  do {
    reaped = ::waitpid(pid_, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_) status_ = exit_code_of(status);
}

}  // namespace wsgid::supervise
