// Finding and loading wsgid_python.so, the Python side of the module (it links libpython; this
// side links none). Loaded only where Python runs: a daemon after fork, a worker child on its
// first embedded request or hook, the httpd parent under WSGILazyInitialization Off.
#pragma once

#include <string>

#include "python_abi.h"

namespace wsgid {

// wsgid_python.so beside mod_wsgid.so.
std::string python_library_path();

// dlopen()s wsgid_python.so (once per process; later calls return the same table) and checks
// its ABI version. nullptr with `error` set when it cannot be loaded or does not match.
const wsgid_python_api* load_python_api(std::string& error);

}  // namespace wsgid
