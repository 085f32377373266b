// Entry point of wsgid_python.so: the table mod_wsgid.so calls through.
#include "python_abi.h"

namespace {

int daemon_main(const wsgid_daemon_spec* /*spec*/) { return WSGID_EXIT_STARTUP_FAILURE; }

constexpr wsgid_python_api kApi{WSGID_PYTHON_ABI_VERSION, &daemon_main};

}  // namespace

extern "C" __attribute__((visibility("default"))) const wsgid_python_api* wsgid_python_entry() {
  return &kApi;
}
