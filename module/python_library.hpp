// Finding and loading wsgid_python.so, the Python side of the module (it links libpython; this
// side links none). Loaded only where Python runs: a daemon after fork, a worker child on its
// first embedded request or hook, the httpd parent under WSGILazyInitialization Off.
#pragma once

#include <string>
#include <vector>

#include "python_abi.h"

namespace wsgid {

// wsgid_python.so beside mod_wsgid.so.
std::string python_library_path();

// wsgid-daemon beside them: the program a forked daemon execs (daemon/daemon_exec.hpp).
std::string daemon_helper_path();

// dlopen()s wsgid_python.so (once per process; later calls return the same table) and checks
// its ABI version. nullptr with `error` set when it cannot be loaded or does not match.
const wsgid_python_api* load_python_api(std::string& error);

// Copies the server-scope Python start-up settings (WSGIPythonWarnings, WSGIPythonOptimize,
// WSGIDontWriteBytecode, WSGIPythonHashSeed, WSGIRestrictStdin/Stdout) into `spec`. `warnings`
// holds the array spec.warn_options points at, so it must outlive the spec's use.
void set_python_settings(wsgid_daemon_spec& spec, std::vector<const char*>& warnings);

}  // namespace wsgid
