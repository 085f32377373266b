#include "python_api_loader.hpp"

#include <dlfcn.h>

namespace wsgid {

const wsgid_python_api* load_python_api_at(const std::string& so, std::string& error) {
  // RTLD_GLOBAL: Python's C extension modules resolve libpython's symbols from the global
  // scope. RTLD_NODELETE: httpd unloads and reloads mod_wsgid.so on every restart, and a Python
  // started in the parent (WSGILazyInitialization Off) must outlive that.
  void* handle = dlopen(so.c_str(), RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
  if (!handle) {
    const char* why = dlerror();
    error = why ? why : ("cannot load " + so);
    return nullptr;
  }
  using Entry = const wsgid_python_api* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, WSGID_PYTHON_ENTRY_SYMBOL));
  const wsgid_python_api* api = entry ? entry() : nullptr;
  if (!api || api->abi_version != WSGID_PYTHON_ABI_VERSION) {
    error = so + " is not a matching wsgid_python.so (ABI " +
            std::to_string(api ? api->abi_version : 0u) + ", this module needs " +
            std::to_string(WSGID_PYTHON_ABI_VERSION) + "); reinstall both from the same build";
    return nullptr;
  }
  return api;
}

}  // namespace wsgid
