#include "daemon_startup.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "daemon_clock.hpp"
#include "error_log.hpp"
#include "interpreter.hpp"
#include "path_audit.hpp"
#include "script_loader.hpp"
#include "wsgi_adapter.hpp"

namespace wsgid::python {
namespace {

// The last non-empty line of a traceback or message: the exception's type and text.
std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const auto nl = text.rfind('\n');
  return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

}  // namespace

bool start_daemon_python(const wsgid_daemon_spec& spec, const std::string& who,
                         std::string& cause) {
  std::string error;
  reload_changed_scripts_in_place(spec.embedded != 0);  // no process of its own to recycle
  if (!start_python(spec, error)) {
    const std::string home = spec.python_home ? spec.python_home : "";
    cause = "WSGID0513: Python failed to start: " + last_line(error);
    log_text(LogLevel::kError,
             "WSGID0513: " + who + ": Python failed to start: " + error +
                 (home.empty() ? std::string("; check python-path, lang and locale")
                               : "; check that python-home '" + home +
                                     "' is a Python 3.11 installation or virtualenv"));
    return false;
  }
  {
    PyThreadState* main_state = thread_state_for("", error);
    GilScope gil(main_state);
    if (!adapter_types_ready()) {
      PyErr_Print();
      cause = "WSGID0513: cannot create the WSGI types";
      log_line(LogLevel::kError, "WSGID0513: " + who + ": cannot create the WSGI types");
      return false;
    }
  }
  if (spec.fs_learning != 0) {
    // Before the preloads, so what the app opens while it is imported is seen too.
    install_path_audit(
        who, std::vector<std::string>(spec.fs_read, spec.fs_read + spec.fs_read_count),
        std::vector<std::string>(spec.fs_write, spec.fs_write + spec.fs_write_count));
  }
  for (std::size_t i = 0; i < spec.preload_count; ++i) {
    const wsgid_preload& p = spec.preload[i];
    const std::string group = p.application_group ? p.application_group : "";
    const std::string script = p.script_path ? p.script_path : "";
    PyThreadState* state = thread_state_for(group, error);
    if (state == nullptr) {
      cause = "WSGID0512: " + last_line(error);
      log_text(LogLevel::kError, "WSGID0512: " + error);
      return false;
    }
    GilScope gil(state);
    LoadFailure failure;
    const bool ok = p.callable_object != nullptr
                        ? static_cast<bool>(load_callable(script, p.callable_object, failure))
                        : static_cast<bool>(load_script(script, failure));
    if (!ok) {
      cause = "WSGID0514: loading '" + script + "' failed: " + failure.code + ": " +
              last_line(failure.message);
      log_text(LogLevel::kError, "WSGID0514: " + who + ": preloading '" + script +
                                     "' (application group '" + group +
                                     "') failed: " + failure.code + ": " + failure.message);
      return false;
    }
  }
  if (spec.apply_sandbox != nullptr) {
    char err[1024] = {};
    if (spec.apply_sandbox(spec.sandbox_ctx, err, sizeof err) != 0) {
      err[sizeof err - 1] = '\0';
      cause = std::string("WSGID0515: the sandbox could not be applied: ") +
              (err[0] ? err : "no reason given");
      log_line(LogLevel::kError, "WSGID0515: " + who + ": the sandbox could not be applied: " +
                                     (err[0] ? err : "no reason given"));
      return false;
    }
  }
  return true;
}

StartupWatchdog::StartupWatchdog(const wsgid_daemon_spec& spec, const ProcessStatus& status,
                                 const std::string& who) {
  if (spec.startup_timeout <= 0 || spec.embedded != 0) return;
  ready_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC));
  if (ready_fd_.get() < 0) return;
  thread_ = std::thread([&spec, &status, &who, fd = ready_fd_.get()] {
    const std::int64_t deadline = now_ns() + seconds_ns(spec.startup_timeout);
    for (;;) {
      const std::int64_t left = deadline - now_ns();
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left / 1'000'000 + 1)) > 0) return;
    }
    log_line(LogLevel::kError, "WSGID0524: " + who + " was not ready within startup-timeout (" +
                                   std::to_string(spec.startup_timeout) +
                                   "s); exiting as a failed start");
    status.startup_failed("WSGID0524: not ready within startup-timeout (" +
                          std::to_string(spec.startup_timeout) + "s)");
    status.exiting(WSGID_EXIT_STARTUP_FAILED);
    ::_exit(WSGID_EXIT_STARTUP_FAILURE);
  });
}

void StartupWatchdog::ready() {
  if (!thread_.joinable()) return;
  notify(ready_fd_.get());
  thread_.join();
}

}  // namespace wsgid::python
