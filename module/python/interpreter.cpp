#include "interpreter.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <clocale>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

#include "error_log.hpp"
#include "file_wrapper.hpp"
#include "log_object.hpp"
#include "logging_handler.hpp"
#include "py_ref.hpp"
#include "python_compat.hpp"
#include "python_error.hpp"
#include "wsgi_input.hpp"

namespace wsgid::python {
namespace {

std::vector<std::string> g_python_path;
bool g_restrict_stdin = false;   // WSGIRestrictStdin On
bool g_restrict_stdout = false;  // WSGIRestrictStdout On

// Guards the group table. Taken only without the GIL, so it never orders against it.
std::mutex g_groups_mutex;
std::map<std::string, PyInterpreterState*> g_groups;  // "" = main, in creation order of names

thread_local std::unordered_map<PyInterpreterState*, PyThreadState*> t_states;
thread_local std::unordered_map<std::string, PyThreadState*> t_by_group;

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// dlopen(RTLD_LOCAL) of wsgid_python.so brings libpython in as a local library, but CPython's
// extension modules (lib-dynload/*.so) expect its symbols to be global.
void make_libpython_global() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&Py_InitializeFromConfig), &info) != 0 &&
      info.dli_fname != nullptr) {
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  }
}

// WSGIRestrictStdin/WSGIRestrictStdout On: the stream is replaced by an object on which any
// use raises, naming the directive, as mod_wsgi's restricted streams do (its message names
// only mod_wsgi). Portable code should not touch them in a web application.
bool restrict_std_streams() {
  if (!g_restrict_stdin && !g_restrict_stdout) return true;
  PyRef globals = PyRef::steal(PyDict_New());
  if (!globals || PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0 ||
      PyDict_SetItemString(globals.get(), "restrict_stdin",
                           g_restrict_stdin ? Py_True : Py_False) != 0 ||
      PyDict_SetItemString(globals.get(), "restrict_stdout",
                           g_restrict_stdout ? Py_True : Py_False) != 0) {
    return false;
  }
  PyRef r = PyRef::steal(
      PyRun_String("import sys\n"
                   "class RestrictedStream:\n"
                   "    def __init__(self, name, directive):\n"
                   "        object.__setattr__(self, '_what', (name, directive))\n"
                   "    def __getattr__(self, attr):\n"
                   "        name, directive = object.__getattribute__(self, '_what')\n"
                   "        raise OSError(f'sys.{name} access restricted by {directive} On; a web "
                   "application '\n"
                   "                      f'should not use it (set {directive} Off to allow it)')\n"
                   "    def __setattr__(self, attr, value):\n"
                   "        self.__getattr__(attr)\n"
                   "    def __iter__(self):\n"
                   "        return self.__getattr__('__iter__')\n"
                   "if restrict_stdin:\n"
                   "    sys.stdin = RestrictedStream('stdin', 'WSGIRestrictStdin')\n"
                   "if restrict_stdout:\n"
                   "    sys.stdout = RestrictedStream('stdout', 'WSGIRestrictStdout')\n",
                   Py_file_input, globals.get(), globals.get()));
  return static_cast<bool>(r);
}

// With the GIL, in the interpreter being set up: logs for stdout/stderr and logging,
// python-path.
bool setup_interpreter(std::string& error) {
  if (!install_std_streams()) {
    error = "cannot replace sys.stdout/sys.stderr:\n" + take_exception_text();
    return false;
  }
  if (!restrict_std_streams()) {
    error = "cannot restrict sys.stdin/sys.stdout:\n" + take_exception_text();
    return false;
  }
  if (!install_logging_handler(error)) return false;
  if (g_python_path.empty()) return true;
  PyRef paths = PyRef::steal(PyList_New(0));
  for (const auto& p : g_python_path) {
    PyRef s = PyRef::steal(PyUnicode_DecodeFSDefault(p.c_str()));
    if (!s || PyList_Append(paths.get(), s.get()) != 0) break;
  }
  // mod_wsgi's python-path: site.addsitedir (so .pth files work), new entries moved first.
  PyRef globals = PyRef::steal(PyDict_New());
  if (!paths || !globals || PyDict_SetItemString(globals.get(), "paths", paths.get()) != 0 ||
      PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0) {
    error = "cannot add python-path:\n" + take_exception_text();
    return false;
  }
  PyRef r =
      PyRef::steal(PyRun_String("import site, sys\n"
                                "_old = list(sys.path)\n"
                                "for _p in paths:\n"
                                "    site.addsitedir(_p)\n"
                                "sys.path[:] = [_p for _p in sys.path if _p not in _old] + _old\n",
                                Py_file_input, globals.get(), globals.get()));
  if (!r) {
    error = "cannot add python-path:\n" + take_exception_text();
    return false;
  }
  return true;
}

bool check(PyStatus status, const char* what, std::string& error) {
  if (!PyStatus_Exception(status)) return true;
  error = std::string(what) + ": " + (status.func != nullptr ? status.func : "") +
          (status.func != nullptr ? ": " : "") + (status.err_msg != nullptr ? status.err_msg : "");
  return false;
}

PyThreadState* state_in(PyInterpreterState* interp) {
  auto it = t_states.find(interp);
  if (it != t_states.end()) return it->second;
  PyThreadState* state = PyThreadState_New(interp);
  t_states.emplace(interp, state);
  return state;
}

// WSGIPythonWarnings, WSGIPythonOptimize, WSGIDontWriteBytecode, WSGIPythonHashSeed. PYTHON*
// environment variables still apply where nothing was configured, as for python itself.
bool apply_python_settings(const wsgid_daemon_spec& spec, PyConfig& config, std::string& error) {
  for (std::size_t i = 0; i < spec.warn_option_count; ++i) {
    if (spec.warn_options[i] == nullptr) continue;
    wchar_t* w = Py_DecodeLocale(spec.warn_options[i], nullptr);
    if (w == nullptr) {
      error = std::string("WSGIPythonWarnings '") + spec.warn_options[i] +
              "' cannot be decoded in the daemon's locale";
      return false;
    }
    const PyStatus status = PyWideStringList_Append(&config.warnoptions, w);
    PyMem_RawFree(w);
    if (!check(status, "cannot add a WSGIPythonWarnings filter", error)) return false;
  }
  if (spec.optimize > 0) config.optimization_level = spec.optimize;
  if (spec.dont_write_bytecode > 0) config.write_bytecode = 0;
  if (spec.use_hash_seed >= 0) {
    config.use_hash_seed = spec.use_hash_seed > 0 ? 1 : 0;
    config.hash_seed = spec.use_hash_seed > 0 ? spec.hash_seed : 0;
  }
  g_restrict_stdin = spec.restrict_stdin > 0;
  g_restrict_stdout = spec.restrict_stdout > 0;
  return true;
}

}  // namespace

namespace {

// WSGILazyInitialization Off: the httpd parent's thread state, saved when it released the GIL
// after starting Python. A forked child inherits it and resumes from it (after_fork_resume).
PyThreadState* g_parent_state = nullptr;
std::string g_parent_settings;  // what Python was started with in the parent

// The settings start_runtime applies, as text, so a graceful restart can tell a change.
std::string settings_fingerprint(const wsgid_daemon_spec& spec) {
  std::string f = std::string("python-home=") + (spec.python_home ? spec.python_home : "");
  for (std::size_t i = 0; i < spec.warn_option_count; ++i) {
    f += std::string(" WSGIPythonWarnings=") + (spec.warn_options[i] ? spec.warn_options[i] : "");
  }
  f += " WSGIPythonOptimize=" + std::to_string(spec.optimize > 0 ? spec.optimize : 0);
  f += " WSGIDontWriteBytecode=" + std::to_string(spec.dont_write_bytecode > 0 ? 1 : 0);
  f += " WSGIPythonHashSeed=" + (spec.use_hash_seed < 0    ? std::string("unset")
                                 : spec.use_hash_seed == 0 ? std::string("random")
                                                           : std::to_string(spec.hash_seed));
  return f;
}

// Py_PreInitialize + Py_InitializeFromConfig from the spec. On success the calling thread
// holds the GIL.
bool start_runtime(const wsgid_daemon_spec& spec, std::string& error) {
  make_libpython_global();
  PyPreConfig pre;
  PyPreConfig_InitPythonConfig(&pre);
  if (spec.locale != nullptr) {
    if (std::setlocale(LC_ALL, spec.locale) == nullptr) {
      error = std::string("locale '") + spec.locale +
              "' is not available on this system (see `locale -a`); fix the locale= option";
      return false;
    }
    pre.configure_locale = 0;  // keep the locale we were told to use
  }
  if (!check(Py_PreInitialize(&pre), "Python pre-initialisation failed", error)) return false;

  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  struct ConfigGuard {
    PyConfig* c;
    ~ConfigGuard() { PyConfig_Clear(c); }
  } guard{&config};
  if (!apply_python_settings(spec, config, error)) return false;
  config.install_signal_handlers = 0;  // signals belong to httpd or the daemon loop
  config.parse_argv = 0;
  char argv0[] = "mod_wsgi";
  char* argv[] = {argv0};
  if (!check(PyConfig_SetBytesArgv(&config, 1, argv), "cannot set sys.argv", error)) return false;
  if (spec.python_home != nullptr && *spec.python_home != '\0') {
    const std::string home = spec.python_home;
    if (file_exists(home + "/pyvenv.cfg")) {
      // A virtualenv: start as its own interpreter would, so getpath finds pyvenv.cfg, takes
      // the standard library from the base install and makes sys.prefix the venv.
      std::string exe = home + "/bin/python3";
      if (!file_exists(exe) && file_exists(home + "/bin/python")) exe = home + "/bin/python";
      if (!check(PyConfig_SetBytesString(&config, &config.program_name, exe.c_str()),
                 "cannot set the virtualenv's program name", error)) {
        return false;
      }
    } else if (!check(PyConfig_SetBytesString(&config, &config.home, home.c_str()),
                      "cannot set python-home", error)) {
      return false;
    }
  }
  return check(Py_InitializeFromConfig(&config), "Python initialisation failed", error);
}

// In a process forked from a parent that started Python: take the GIL in the parent's thread
// state and let CPython repair its locks and thread table for this process. The calling thread
// becomes Python's main thread here. On return it holds the GIL.
void after_fork_resume() {
  compat::resume_in_forked_child(g_parent_state);
  g_parent_state = nullptr;  // this process's copy is in use from now on
}

}  // namespace

int start_python_in_parent(const wsgid_daemon_spec& spec, std::string& message) {
  const std::string settings = settings_fingerprint(spec);
  if (Py_IsInitialized()) {
    if (settings == g_parent_settings) return 0;
    message = "Python keeps running with " + g_parent_settings + "; the configuration now says " +
              settings;
    return 1;
  }
  if (!start_runtime(spec, message)) return -1;
  g_parent_settings = settings;
  g_parent_state = PyEval_SaveThread();
  return 0;
}

bool start_python(const wsgid_daemon_spec& spec, std::string& error) {
  for (std::size_t i = 0; i < spec.python_path_count; ++i) {
    if (spec.python_path[i] != nullptr) g_python_path.emplace_back(spec.python_path[i]);
  }
  if (spec.lang != nullptr) {
    ::setenv("LANG", spec.lang, 1);
    ::setenv("LC_ALL", spec.lang, 1);
  }
  if (g_parent_state != nullptr) {
    // Started in the httpd parent (WSGILazyInitialization Off): only this process's part.
    if (spec.locale != nullptr && std::setlocale(LC_ALL, spec.locale) == nullptr) {
      error = std::string("locale '") + spec.locale +
              "' is not available on this system (see `locale -a`); fix the locale= option";
      return false;
    }
    g_restrict_stdin = spec.restrict_stdin > 0;
    g_restrict_stdout = spec.restrict_stdout > 0;
    after_fork_resume();
  } else if (!start_runtime(spec, error)) {
    return false;
  }
  if (!log_type_ready() || !input_type_ready() || !file_wrapper_type_ready()) {
    error = "cannot create wsgid's Python types:\n" + take_exception_text();
    PyEval_SaveThread();
    return false;
  }
  const bool ok = setup_interpreter(error);
  PyThreadState* main_state = PyEval_SaveThread();
  t_states[PyThreadState_GetInterpreter(main_state)] = main_state;
  std::lock_guard lock(g_groups_mutex);
  g_groups[""] = PyThreadState_GetInterpreter(main_state);
  return ok;
}

namespace {

PyThreadState* thread_state_for_locked(const std::string& group, std::string& error) {
  std::lock_guard lock(g_groups_mutex);
  if (auto it = g_groups.find(group); it != g_groups.end()) return state_in(it->second);
  // Py_NewInterpreter needs the GIL: enter through this thread's main-interpreter state.
  PyEval_RestoreThread(state_in(g_groups.at("")));
  PyThreadState* sub = Py_NewInterpreter();
  if (sub == nullptr) {
    error = "cannot create the sub-interpreter for application group '" + group + "':\n" +
            take_exception_text();
    PyEval_SaveThread();
    return nullptr;
  }
  std::string setup_error;
  if (!setup_interpreter(setup_error)) {
    log_text(LogLevel::kError,
             "WSGID0512: application group '" + group + "' is only partly set up: " + setup_error);
  }
  PyEval_SaveThread();
  PyInterpreterState* interp = PyThreadState_GetInterpreter(sub);
  t_states[interp] = sub;
  g_groups[group] = interp;
  return sub;
}

}  // namespace

PyThreadState* thread_state_for(const std::string& group, std::string& error) {
  // Most requests go to a group this thread has served before: no shared lock for those.
  if (auto it = t_by_group.find(group); it != t_by_group.end()) return it->second;
  PyThreadState* state = thread_state_for_locked(group, error);
  if (state != nullptr) t_by_group.emplace(group, state);
  return state;
}

void release_thread_states() {
  for (auto& [interp, state] : t_states) {
    PyEval_RestoreThread(state);
    PyThreadState_Clear(state);
    PyThreadState_DeleteCurrent();
  }
  t_states.clear();
  t_by_group.clear();
}

void run_exit_functions() {
  std::vector<PyInterpreterState*> order;
  {
    std::lock_guard lock(g_groups_mutex);
    for (const auto& [name, interp] : g_groups) {
      if (!name.empty()) order.push_back(interp);
    }
    if (auto it = g_groups.find(""); it != g_groups.end()) order.push_back(it->second);
  }
  for (PyInterpreterState* interp : order) {
    GilScope gil(state_in(interp));
    PyRef atexit = PyRef::steal(PyImport_ImportModule("atexit"));
    PyRef r = atexit ? PyRef::steal(PyObject_CallMethod(atexit.get(), "_run_exitfuncs", nullptr))
                     : PyRef();
    if (!r) log_text(LogLevel::kError, "atexit functions failed:\n" + take_exception_text());
    flush_log(PySys_GetObject("stdout"));
    flush_log(PySys_GetObject("stderr"));
  }
}

}  // namespace wsgid::python
