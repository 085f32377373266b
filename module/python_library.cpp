#include "python_library.hpp"

#include <dlfcn.h>

#include "config/config.hpp"
#include "python_api_loader.hpp"

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
  return load_python_api_at(python_library_path(), error);
}

std::string daemon_helper_path() {
  std::string path = python_library_path();
  return path.erase(path.find_last_of('/') + 1) + "wsgid-daemon";
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
