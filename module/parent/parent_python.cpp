#include "parent_python.hpp"

#include <http_config.h>
#include <http_core.h>
#include <http_log.h>

#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "log.hpp"
#include "python_library.hpp"

namespace wsgid {
namespace {

// A daemon group's python-home cannot apply to an interpreter that was started before the
// fork: say so rather than silently running the wrong Python.
void warn_about_group_homes(server_rec* s, const GlobalConfig& gc) {
  const auto* groups = reinterpret_cast<DaemonGroup* const*>(gc.groups->elts);
  for (int i = 0; i < gc.groups->nelts; ++i) {
    const DaemonGroup& g = *groups[i];
    if (!g.python_home) continue;
    if (gc.python_home && std::strcmp(gc.python_home, g.python_home) == 0) continue;
    log_server(s, APLOG_WARNING, 0, "WSGID0143",
               "WSGIDaemonProcess %s python-home=%s is ignored: with WSGILazyInitialization Off "
               "Python is started in the httpd parent with WSGIPythonHome (%s) before daemons "
               "fork; set WSGIPythonHome instead, or remove WSGILazyInitialization Off",
               g.name, g.python_home, gc.python_home ? gc.python_home : "not set");
  }
}

}  // namespace

int start_parent_python(server_rec* s) {
  const GlobalConfig& gc = global_config();
  if (gc.lazy_initialization != 0) return OK;
  // As for daemons: the configuration test and httpd's first read of its configuration at
  // start-up run no Python.
  if (ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL ||
      ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
    return OK;
  }
  std::string error;
  const wsgid_python_api* api = load_python_api(error);
  if (!api) {
    log_server(s, APLOG_CRIT, 0, "WSGID0141",
               "WSGILazyInitialization Off: cannot load the Python side: %s", error.c_str());
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  wsgid_daemon_spec spec{};
  spec.abi_version = WSGID_PYTHON_ABI_VERSION;
  spec.group_name = "httpd parent";
  spec.listen_fd = -1;
  spec.python_home = gc.python_home;
  std::vector<const char*> warnings;
  set_python_settings(spec, warnings);
  char message[1024] = "";
  const int rc = api->start_in_parent(&spec, message, sizeof message);
  if (rc < 0) {
    log_server(s, APLOG_CRIT, 0, "WSGID0141",
               "WSGILazyInitialization Off: Python failed to start in the httpd parent: %s; "
               "check WSGIPythonHome (%s) or set WSGILazyInitialization On",
               message, gc.python_home ? gc.python_home : "not set");
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  if (rc > 0) {
    log_server(s, APLOG_WARNING, 0, "WSGID0142",
               "WSGILazyInitialization Off: the Python settings changed, but the interpreter "
               "started in the httpd parent is kept across graceful restarts: %s; stop and "
               "start httpd to apply them",
               message);
  } else {
    log_server(s, APLOG_INFO, 0, "WSGID0140",
               "Python runs in the httpd parent pid %d (WSGILazyInitialization Off); workers "
               "and daemons inherit it",
               static_cast<int>(getpid()));
  }
  warn_about_group_homes(s, gc);
  return OK;
}

}  // namespace wsgid
