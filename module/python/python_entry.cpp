// Entry point of wsgid_python.so: the table mod_wsgid.so calls through.
#include <algorithm>
#include <cstring>
#include <string>

#include "daemon_loop.hpp"
#include "interpreter.hpp"
#include "python_abi.h"

namespace {

int daemon_main(const wsgid_daemon_spec* spec) { return wsgid::python::daemon_main(spec); }

int start_in_parent(const wsgid_daemon_spec* spec, char* err, std::size_t err_len) {
  std::string message;
  int rc = -1;
  try {
    rc = wsgid::python::start_python_in_parent(*spec, message);
  } catch (const std::exception& e) {
    message = e.what();
  }
  if (err != nullptr && err_len > 0) {
    const std::size_t n = std::min(message.size(), err_len - 1);
    std::memcpy(err, message.data(), n);
    err[n] = '\0';
  }
  return rc;
}

constexpr wsgid_python_api kApi{WSGID_PYTHON_ABI_VERSION, &daemon_main, &start_in_parent};

}  // namespace

extern "C" __attribute__((visibility("default"))) const wsgid_python_api* wsgid_python_entry() {
  return &kApi;
}
