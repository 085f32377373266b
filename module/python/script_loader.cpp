#include "script_loader.hpp"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "error_log.hpp"
#include "logging_handler.hpp"
#include "python_error.hpp"

namespace wsgid::python {
namespace {

// Loads run user code, which can let other threads take the GIL; this lock keeps two threads
// from loading the same script at once. It is only ever waited for with the GIL released.
std::mutex g_load_mutex;

struct LoadedScript {
  PyObject* module;
  timespec mtime;  // of the file that was executed
};
std::map<std::pair<PyInterpreterState*, std::string>, LoadedScript> g_modules;

// Set once: the first script seen changed on disk since it was loaded.
std::atomic<bool> g_modified{false};
std::mutex g_modified_mutex;
std::string g_modified_path;

std::atomic<bool> g_reload_in_place{false};

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool file_changed(const std::string& path, const LoadedScript& loaded) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !same_time(st.st_mtim, loaded.mtime);
}

// mod_wsgi's daemon-mode reloading: a touched script recycles the process. Reloading the
// module in place would re-run code that must run once (Django's settings.configure()).
void note_if_modified(const std::string& path, const LoadedScript& loaded) {
  if (g_modified.load(std::memory_order_relaxed) || !file_changed(path, loaded)) return;
  std::lock_guard lock(g_modified_mutex);
  if (!g_modified.exchange(true)) g_modified_path = path;
}

class LoadLock {
 public:
  LoadLock() {
    if (g_load_mutex.try_lock()) return;
    Py_BEGIN_ALLOW_THREADS;
    g_load_mutex.lock();
    Py_END_ALLOW_THREADS;
  }
  ~LoadLock() { g_load_mutex.unlock(); }
  LoadLock(const LoadLock&) = delete;
  LoadLock& operator=(const LoadLock&) = delete;
};

std::string module_name(const std::string& path) {
  PyRef hashlib = PyRef::steal(PyImport_ImportModule("hashlib"));
  if (!hashlib) return {};
  PyRef md5 = PyRef::steal(PyObject_GetAttrString(hashlib.get(), "md5"));
  PyRef data =
      PyRef::steal(PyBytes_FromStringAndSize(path.data(), static_cast<Py_ssize_t>(path.size())));
  if (!md5 || !data) return {};
  PyRef args = PyRef::steal(PyTuple_Pack(1, data.get()));
  PyRef kwargs = PyRef::steal(Py_BuildValue("{s:O}", "usedforsecurity", Py_False));
  if (!args || !kwargs) return {};
  PyRef h = PyRef::steal(PyObject_Call(md5.get(), args.get(), kwargs.get()));
  if (!h) return {};
  PyRef hex = PyRef::steal(PyObject_CallMethod(h.get(), "hexdigest", nullptr));
  const char* s = hex ? PyUnicode_AsUTF8(hex.get()) : nullptr;
  return s != nullptr ? std::string("_mod_wsgi_") + s : std::string();
}

PyRef exec_script(const std::string& path, LoadFailure& failure, timespec& mtime) {
  struct stat st {};
  std::string why;
  if (::stat(path.c_str(), &st) != 0) {
    why = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
  }
  if (!why.empty()) {
    failure = {"WSGID0501", "WSGI script '" + path + "' cannot be loaded: " + why +
                                "; check the path in WSGIScriptAlias/WSGIImportScript and that "
                                "the daemon's user can read it"};
    return {};
  }
  mtime = st.st_mtim;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream source;
  source << in.rdbuf();
  if (!in) {
    failure = {"WSGID0501", "WSGI script '" + path + "' cannot be read by the daemon's user: " +
                                std::strerror(errno) + "; fix its permissions"};
    return {};
  }
  const std::string name = module_name(path);
  if (name.empty()) {
    failure = {"WSGID0503",
               "cannot name the module for WSGI script '" + path + "':\n" + take_exception_text()};
    return {};
  }
  const std::string text = source.str();
  PyRef code = PyRef::steal(Py_CompileString(text.c_str(), path.c_str(), Py_file_input));
  PyRef module;
  if (code) module = PyRef::steal(PyModule_New(name.c_str()));
  PyObject* dict = module ? PyModule_GetDict(module.get()) : nullptr;
  PyRef file = PyRef::steal(PyUnicode_DecodeFSDefault(path.c_str()));
  PyObject* modules = PyImport_GetModuleDict();
  if (dict == nullptr || !file || PyDict_SetItemString(dict, "__file__", file.get()) != 0 ||
      PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) != 0 ||
      PyDict_SetItemString(modules, name.c_str(), module.get()) != 0) {
    failure = {"WSGID0503", "WSGI script '" + path + "' failed to load; fix the error below:\n" +
                                take_exception_text()};
    return {};
  }
  PyRef result = PyRef::steal(PyEval_EvalCode(code.get(), dict, dict));
  if (!result) {
    std::string trace = take_exception_text();
    PyDict_DelItemString(modules, name.c_str());
    PyErr_Clear();
    failure = {"WSGID0503",
               "WSGI script '" + path + "' raised an exception while loading; fix it:\n" + trace};
    return {};
  }
  return module;
}

}  // namespace

PyRef load_script(const std::string& path, LoadFailure& failure, bool check_modified) {
  PyInterpreterState* interp = PyThreadState_GetInterpreter(PyThreadState_Get());
  const auto key = std::make_pair(interp, path);
  // The table only changes with the GIL held (and the lock), so holding the GIL is enough to
  // read it: a loaded script costs no lock, and a slow first load elsewhere blocks nobody.
  const bool in_place = check_modified && g_reload_in_place.load(std::memory_order_relaxed);
  if (auto it = g_modules.find(key); it != g_modules.end()) {
    if (!in_place || !file_changed(path, it->second)) {
      if (check_modified && !in_place) note_if_modified(path, it->second);
      return PyRef::borrow(it->second.module);
    }
  }
  LoadLock lock;
  auto it = g_modules.find(key);
  if (it != g_modules.end() && !(in_place && file_changed(path, it->second))) {
    return PyRef::borrow(it->second.module);  // loaded (or reloaded) while we waited
  }
  timespec mtime{};
  PyRef module = exec_script(path, failure, mtime);
  if (!module) return module;  // a failed reload keeps the old copy and is retried next time
  if (it != g_modules.end()) {
    Py_DECREF(it->second.module);
    it->second = LoadedScript{PyRef(module).release(), mtime};
    log_text(LogLevel::kNotice, "wsgid: WSGI script '" + path + "' changed; reloaded it in place");
  } else {
    g_modules.emplace(key, LoadedScript{PyRef(module).release(), mtime});
  }
  attach_logging_handler_to_root();
  return module;
}

bool take_modified_script(std::string& path) {
  if (!g_modified.load()) return false;
  std::lock_guard lock(g_modified_mutex);
  if (g_modified_path.empty()) return false;
  path = std::exchange(g_modified_path, std::string());
  return true;
}

bool handler_reload_required(const std::string& script, const std::string& resource,
                             bool check_modified, std::string& error) {
  LoadFailure failure;
  PyRef module = load_script(script, failure, check_modified);
  if (!module) return false;
  PyRef hook = PyRef::steal(PyObject_GetAttrString(module.get(), "reload_required"));
  if (!hook || !PyCallable_Check(hook.get())) {
    PyErr_Clear();
    return false;
  }
  PyRef arg = PyRef::steal(
      PyUnicode_DecodeFSDefaultAndSize(resource.data(), static_cast<Py_ssize_t>(resource.size())));
  PyRef answer = arg ? PyRef::steal(PyObject_CallOneArg(hook.get(), arg.get())) : PyRef();
  const int truth = answer ? PyObject_IsTrue(answer.get()) : -1;
  if (truth < 0) {
    error = take_exception_text();
    PyErr_Clear();
    return false;
  }
  return truth == 1;
}

void forget_script(const std::string& path) {
  PyInterpreterState* interp = PyThreadState_GetInterpreter(PyThreadState_Get());
  LoadLock lock;
  if (auto it = g_modules.find(std::make_pair(interp, path)); it != g_modules.end()) {
    Py_DECREF(it->second.module);
    g_modules.erase(it);
  }
}

PyRef load_callable(const std::string& path, const std::string& callable, LoadFailure& failure,
                    bool check_modified) {
  PyRef module = load_script(path, failure, check_modified);
  if (!module) return {};
  PyRef app = PyRef::steal(PyObject_GetAttrString(module.get(), callable.c_str()));
  if (!app || !PyCallable_Check(app.get())) {
    PyErr_Clear();
    failure = {"WSGID0502", "WSGI script '" + path + "' has no callable named '" + callable +
                                "'; define it, or name the right one with callable-object= "
                                "(WSGIScriptAlias) or WSGICallableObject"};
    return {};
  }
  return app;
}

void reload_changed_scripts_in_place(bool on) { g_reload_in_place.store(on); }

}  // namespace wsgid::python
