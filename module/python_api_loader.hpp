// dlopen()ing a wsgid_python.so by its path and checking its ABI version: the one loader, used
// by mod_wsgid.so (python_library.hpp) and by the wsgid-daemon helper, which links no httpd.
#pragma once

#include <string>

#include "python_abi.h"

namespace wsgid {

// Once per process and path; later calls return the same table. nullptr with `error` set when
// the library cannot be loaded or does not match this build.
const wsgid_python_api* load_python_api_at(const std::string& so, std::string& error);

}  // namespace wsgid
