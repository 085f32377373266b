#include "control_signals.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace wsgid::python {
namespace {

int g_write_fd = -1;
pid_t g_daemon_pid = 0;

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

extern "C" void on_control_signal(int signo) {
  const int saved_errno = errno;
  if (::getpid() != g_daemon_pid) {
    // A process the application forked: behave as if we had never been here.
    ::signal(signo, SIG_DFL);
    ::raise(signo);
  } else {
    const unsigned char byte = static_cast<unsigned char>(signo);
    [[maybe_unused]] const ssize_t n = ::write(g_write_fd, &byte, 1);
  }
  errno = saved_errno;
}

}  // namespace

int install_control_signals() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  g_write_fd = fds[1];
  g_daemon_pid = ::getpid();
  struct sigaction action {};
  action.sa_handler = on_control_signal;
  action.sa_flags = SA_RESTART;
  sigfillset(&action.sa_mask);
  sigset_t unblock;
  sigemptyset(&unblock);
  for (int s : kSignals) {
    if (::sigaction(s, &action, nullptr) != 0) return -1;
    sigaddset(&unblock, s);
  }
  // Writes to a worker that went away must fail with EPIPE, not kill the daemon.
  ::signal(SIGPIPE, SIG_IGN);
  ::pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
  return fds[0];
}

int read_control_signal(int fd) {
  unsigned char byte = 0;
  return ::read(fd, &byte, 1) == 1 ? byte : 0;
}

}  // namespace wsgid::python
