#include "python_library.hpp"

#include <dlfcn.h>

#include "config/config.hpp"

namespace wsgid {

std::string python_library_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&python_library_path), &info) && info.dli_fname) {
    std::string dir(info.dli_fname);
    dir.erase(dir.find_last_of('/') + 1);
    return dir + "wsgid_python.so";
  }
  return "wsgid_python.so";
}

const wsgid_python_api* load_python_api(std::string& error) {
  const std::string so = python_library_path();
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

void set_python_settings(wsgid_daemon_spec& spec, std::vector<const char*>& warnings) {
  const GlobalConfig& gc = global_config();
  warnings.clear();
  if (gc.python_warnings) {
    const auto* w = reinterpret_cast<const char* const*>(gc.python_warnings->elts);
    warnings.assign(w, w + gc.python_warnings->nelts);
  }
  spec.warn_options = warnings.data();
  spec.warn_option_count = warnings.size();
  spec.optimize = gc.python_optimize;
  spec.dont_write_bytecode = gc.dont_write_bytecode;
  spec.use_hash_seed = gc.use_hash_seed;
  spec.hash_seed = gc.hash_seed;
  spec.restrict_stdin = gc.restrict_stdin;
  spec.restrict_stdout = gc.restrict_stdout;
}

}  // namespace wsgid
