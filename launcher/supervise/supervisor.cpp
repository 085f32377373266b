#include "supervisor.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ostream>
#include <system_error>

#include "child_process.hpp"
#include "daemon_recycle.hpp"
#include "httpd_command.hpp"
#include "readiness.hpp"
#include "signal_fd.hpp"

namespace wsgid::supervise {
namespace {

using Clock = std::chrono::steady_clock;

// How long after SIGTERM (when the graceful deadline has passed) before SIGKILL.
constexpr std::chrono::seconds kTermGrace{5};
// Readiness is probed this often until httpd accepts connections.
constexpr int kProbeIntervalMs = 50;

// As PID 1 (in a container) every orphan is re-parented to us: reap them all, not just httpd.
void reap(ChildProcess& httpd) {
  if (::getpid() != 1) {
    httpd.poll_exit();
    return;
  }
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      httpd.on_reaped(pid, status);
      continue;
    }
    if (pid < 0 && errno == EINTR) continue;
    return;
  }
}

class Stopper {
 public:
  explicit Stopper(std::chrono::seconds deadline) : deadline_(deadline) {}

  bool stopping() const { return stopping_; }

  void begin(ChildProcess& httpd, std::ostream& err) {
    if (stopping()) {
      err << "wsgid: second stop request: stopping httpd now" << std::endl;
      escalate(httpd);
      return;
    }
    err << "wsgid: stopping gracefully (in-flight requests have " << deadline_.count() << " s)"
        << std::endl;
    httpd.signal(SIGWINCH);
    stopping_ = true;
    escalate_at_ = Clock::now() + deadline_;
  }

  // Milliseconds until the next escalation, for the poll timeout.
  int wait_ms() const {
    if (!stopping()) return -1;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(escalate_at_ - Clock::now());
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
  }

  void on_tick(ChildProcess& httpd, std::ostream& err) {
    if (stopping() && Clock::now() >= escalate_at_) {
      err << "wsgid: httpd did not stop within the deadline" << std::endl;
      escalate(httpd);
    }
  }

  void set_deadline(std::chrono::seconds deadline) { deadline_ = deadline; }

 private:
  void escalate(ChildProcess& httpd) {
    httpd.signal(term_sent_ ? SIGKILL : SIGTERM);
    term_sent_ = true;
    stopping_ = true;
    escalate_at_ = Clock::now() + kTermGrace;
  }

  std::chrono::seconds deadline_;
  bool stopping_ = false;
  Clock::time_point escalate_at_{};
  bool term_sent_ = false;
};

}  // namespace

int supervise(const SuperviseOptions& options, std::ostream& out, std::ostream& err) {
  // Block the signals before starting httpd so none is lost in between; the child gets a
  // clean mask from ChildProcess.
  SignalFd signals({SIGTERM, SIGINT, SIGHUP, SIGCHLD});
  std::optional<ChildProcess> httpd;
  try {
    httpd.emplace(std::vector<std::string>{httpd_binary(), "-f", options.httpd_conf.string(),
                                           "-DFOREGROUND"});
  } catch (const std::system_error& error) {
    err << "wsgid: " << error.what() << std::endl;
    return 1;
  }
  Stopper stopper(options.stop_deadline);
  bool ready = false;
  while (httpd->running()) {
    const int timeout = ready ? stopper.wait_ms() : kProbeIntervalMs;
    if (const auto signal = signals.wait(timeout)) {
      switch (*signal) {
        case SIGCHLD:
          break;  // reaped below
        case SIGTERM:
        case SIGINT:
          stopper.begin(*httpd, err);
          break;
        case SIGHUP:
          if (stopper.stopping() || !options.reload) break;
          if (const auto reload = options.reload()) {
            stopper.set_deadline(reload->stop_deadline);
            if (reload->restart_httpd) {
              httpd->signal(SIGUSR1);
              err << "wsgid: configuration reloaded; httpd restarts gracefully" << std::endl;
            } else {
              // Blocks this loop for the drains; a stop asked meanwhile waits in the signalfd.
              const int recycled = recycle_daemons(httpd->pid(), reload->recycle_deadline, err);
              err << "wsgid: configuration reloaded; httpd unchanged, " << recycled
                  << " daemon processes recycled one by one" << std::endl;
            }
          }
          break;
        default:
          break;
      }
    }
    reap(*httpd);
    if (!httpd->running()) break;
    stopper.on_tick(*httpd, err);
    if (!ready && !stopper.stopping() && !options.listen.empty() &&
        accepts_connections(options.listen.front())) {
      ready = true;
      out << options.ready_line << std::endl;
    }
  }
  const int code = httpd->exit_code().value_or(1);
  if (code != 0) err << "wsgid: httpd exited with status " << code << std::endl;
  return code;
}

}  // namespace wsgid::supervise
