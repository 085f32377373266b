// Runs a test body in a forked child, so a seccomp filter (which can never be removed) only
// ever constrains that child. The body reports failures as text through a pipe.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

namespace wsgid::testing {

struct ChildOutcome {
  int status = 0;      // raw waitpid status
  std::string output;  // everything the body (or a handler) wrote to `report_fd`
  bool exited_ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  bool killed_by(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
};

// `body` gets the write end of the report pipe and returns "" on success or a description of
// what went wrong. No gtest macros in the child: it runs after fork, possibly under a filter.
inline ChildOutcome run_in_child(const std::function<std::string(int report_fd)>& body) {
  ChildOutcome outcome;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    outcome.status = -1;
    outcome.output = "pipe failed";
    return outcome;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const rlimit no_core{0, 0};  // a SIGSYS death must not leave core files behind
    setrlimit(RLIMIT_CORE, &no_core);
    const std::string failure = body(fds[1]);
    if (!failure.empty()) {
      [[maybe_unused]] auto n = write(fds[1], failure.data(), failure.size());
    }
    _exit(failure.empty() ? 0 : 1);
  }
  close(fds[1]);
  char buffer[512];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    outcome.output.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  while (waitpid(pid, &outcome.status, 0) < 0 && errno == EINTR) {
  }
  return outcome;
}

}  // namespace wsgid::testing
