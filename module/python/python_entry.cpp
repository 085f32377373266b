// Entry point of wsgid_python.so: the table mod_wsgid.so calls through.
#include "daemon_loop.hpp"
#include "python_abi.h"

namespace {

int daemon_main(const wsgid_daemon_spec* spec) { return wsgid::python::daemon_main(spec); }

constexpr wsgid_python_api kApi{WSGID_PYTHON_ABI_VERSION, &daemon_main};

}  // namespace

extern "C" __attribute__((visibility("default"))) const wsgid_python_api* wsgid_python_entry() {
  return &kApi;
}
