#include "hook_runner.hpp"

#include <sys/stat.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error_log.hpp"
#include "hook_protocol.hpp"
#include "interpreter.hpp"
#include "log_object.hpp"
#include "python_error.hpp"
#include "script_loader.hpp"

namespace wsgid::python {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// What one hook call is about, from the request head.
struct HookCall {
  std::string kind;
  std::string script;
  std::string directive;
  std::string application_group;
  std::string client;
  std::string user;
  std::string password;
  std::string realm;
  std::string host;
  bool script_reloading = true;
};

HookCall read_call(const wire::Pairs& head) {
  HookCall c;
  std::string_view addr, port;
  for (const auto& [k, v] : head) {
    if (k == hook::kKind)
      c.kind = v;
    else if (k == hook::kScript)
      c.script = v;
    else if (k == hook::kDirective)
      c.directive = v;
    else if (k == hook::kUser)
      c.user = v;
    else if (k == hook::kPassword)
      c.password = v;
    else if (k == hook::kRealm)
      c.realm = v;
    else if (k == hook::kHost)
      c.host = v;
    else if (k == "mod_wsgi.application_group")
      c.application_group = v;
    else if (k == "mod_wsgi.script_reloading")
      c.script_reloading = v != "0";
    else if (k == "REMOTE_ADDR")
      addr = v;
    else if (k == "REMOTE_PORT")
      port = v;
  }
  if (!addr.empty()) c.client = std::string(addr) + (port.empty() ? "" : ":") + std::string(port);
  return c;
}

// The mtime each hook script had when it was executed, per interpreter. Guarded by the GIL.
std::map<std::pair<PyInterpreterState*, std::string>, timespec> g_loaded;

// mod_wsgi reloads hook scripts in place when their file changes (they hold no application
// state worth a process recycle), so a touched script is executed afresh on its next use.
PyRef load_hook_script(const HookCall& call, LoadFailure& failure) {
  PyInterpreterState* interp = PyThreadState_GetInterpreter(PyThreadState_Get());
  const auto key = std::make_pair(interp, call.script);
  struct stat st {};
  const bool have_stat = ::stat(call.script.c_str(), &st) == 0;
  if (auto it = g_loaded.find(key);
      it != g_loaded.end() && call.script_reloading && have_stat &&
      (it->second.tv_sec != st.st_mtim.tv_sec || it->second.tv_nsec != st.st_mtim.tv_nsec)) {
    forget_script(call.script);
    g_loaded.erase(key);
  }
  PyRef module = load_script(call.script, failure, /*check_modified=*/false);
  if (module && have_stat && !g_loaded.contains(key)) g_loaded.emplace(key, st.st_mtim);
  return module;
}

PyRef latin1(std::string_view s) {
  return PyRef::steal(PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()), nullptr));
}

// The environ a hook function receives: the request's variables as the worker chose them
// (HTTP_* headers, REMOTE_ADDR, ...; never Authorization) and wsgi.errors, without the
// reserved hook keys.
PyRef build_hook_environ(const wire::Pairs& head, PyObject* errors) {
  PyRef env = PyRef::steal(PyDict_New());
  if (!env) return {};
  for (const auto& [k, v] : head) {
    if (k.substr(0, hook::kPrefix.size()) == hook::kPrefix) continue;
    PyRef key = latin1(k);
    PyRef value = latin1(v);
    if (!key || !value || PyDict_SetItem(env.get(), key.get(), value.get()) != 0) return {};
  }
  if (PyDict_SetItemString(env.get(), "wsgi.errors", errors) != 0) return {};
  return env;
}

// A str (latin-1) or bytes result as bytes; nullopt (with a Python error set) otherwise.
std::optional<std::string> as_latin1(PyObject* o) {
  if (PyBytes_Check(o)) {
    return std::string(PyBytes_AS_STRING(o), static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
  }
  if (PyUnicode_Check(o)) {
    PyRef b = PyRef::steal(PyUnicode_AsLatin1String(o));
    if (!b) return std::nullopt;
    return std::string(PyBytes_AS_STRING(b.get()),
                       static_cast<std::size_t>(PyBytes_GET_SIZE(b.get())));
  }
  PyErr_Format(PyExc_TypeError, "expected str or bytes, got %.100s", Py_TYPE(o)->tp_name);
  return std::nullopt;
}

class Runner {
 public:
  Runner(const HookCall& call, std::string_view who) : call_(call), who_(who) {}

  // Fills `headers` and returns true, or logs why not and returns false (answer 500).
  bool run(const wire::Pairs& head, Headers& headers) {
    LoadFailure failure;
    PyRef module = load_hook_script(call_, failure);
    if (!module) {
      log(failure.code + ": " + failure.message + " (" + call_.directive + ")");
      return false;
    }
    PyRef errors = make_log(LogLevel::kError, call_.client, current_request_id());
    PyRef environ = errors ? build_hook_environ(head, errors.get()) : PyRef();
    if (!environ) return raised("cannot build the environ");
    const bool ok = call_.kind == hook::kDispatch
                        ? dispatch(module.get(), environ.get(), headers)
                        : call_single(module.get(), environ.get(), headers);
    flush_log(errors.get());
    return ok;
  }

 private:
  bool call_single(PyObject* module, PyObject* environ, Headers& headers) {
    PyRef fn = function(module, call_.kind);
    if (!fn) {
      log("WSGID0531: " + call_.directive + " script '" + call_.script + "' defines no " +
          call_.kind + "() function; define it (see docs/directives.md)");
      return false;
    }
    PyRef result;
    if (call_.kind == hook::kAllowAccess) {
      PyRef host = latin1(call_.host);
      if (host) result = call(fn.get(), {environ, host.get()});
    } else if (call_.kind == hook::kCheckPassword) {
      PyRef user = latin1(call_.user), password = latin1(call_.password);
      if (user && password) result = call(fn.get(), {environ, user.get(), password.get()});
    } else if (call_.kind == hook::kGetRealmHash) {
      PyRef user = latin1(call_.user), realm = latin1(call_.realm);
      if (user && realm) result = call(fn.get(), {environ, user.get(), realm.get()});
    } else if (call_.kind == hook::kGroupsForUser) {
      PyRef user = latin1(call_.user);
      if (user) result = call(fn.get(), {environ, user.get()});
    } else {
      log("WSGID0505: " + who_ + ": unknown hook kind '" + call_.kind + "'");
      return false;
    }
    if (!result) return raised(call_.kind + "()");
    return interpret(result.get(), headers);
  }

  bool interpret(PyObject* result, Headers& headers) {
    const std::string r(hook::kResult);
    if (call_.kind == hook::kAllowAccess) {
      if (result == Py_True || result == Py_False || result == Py_None) {
        headers.emplace_back(r, result == Py_True ? "allow" : result == Py_False ? "deny" : "none");
        return true;
      }
      return wrong_type(result, "True, False or None");
    }
    if (call_.kind == hook::kCheckPassword) {
      if (result == Py_True || result == Py_False || result == Py_None) {
        headers.emplace_back(r, result == Py_True    ? "granted"
                                : result == Py_False ? "denied"
                                                     : "unknown");
        return true;
      }
      if (PyUnicode_Check(result)) {
        // A user name: authentication succeeded under that (canonical) name.
        Py_ssize_t size = 0;
        const char* utf8 = PyUnicode_AsUTF8AndSize(result, &size);
        if (utf8 == nullptr) return raised("check_password() result");
        headers.emplace_back(r, "granted");
        headers.emplace_back(std::string(hook::kResultUser),
                             std::string(utf8, static_cast<std::size_t>(size)));
        return true;
      }
      return wrong_type(result, "True, False, None or a user name (str)");
    }
    if (call_.kind == hook::kGetRealmHash) {
      if (result == Py_None) {
        headers.emplace_back(r, "unknown");
        return true;
      }
      if (!PyUnicode_Check(result) && !PyBytes_Check(result)) {
        return wrong_type(result, "None or the md5 hex digest of 'user:realm:password' (str)");
      }
      const auto hash = as_latin1(result);
      if (!hash) return raised("get_realm_hash() result");
      headers.emplace_back(r, "found");
      headers.emplace_back(std::string(hook::kResultHash), *hash);
      return true;
    }
    // groups_for_user: any iterable of str or bytes.
    PyRef iter = PyRef::steal(PyObject_GetIter(result));
    if (!iter) {
      PyErr_Clear();
      return wrong_type(result, "an iterable of group names (str)");
    }
    while (PyRef item = PyRef::steal(PyIter_Next(iter.get()))) {
      if (!PyUnicode_Check(item.get()) && !PyBytes_Check(item.get())) {
        return wrong_type(item.get(), "group names as str");
      }
      const auto name = as_latin1(item.get());
      if (!name) return raised("groups_for_user() result");
      headers.emplace_back(std::string(hook::kResultGroup), *name);
    }
    if (PyErr_Occurred()) return raised("iterating over the groups_for_user() result");
    return true;
  }

  // WSGIDispatchScript: process_group(), application_group() and callable_object() are each
  // optional; None keeps the configured value.
  bool dispatch(PyObject* module, PyObject* environ, Headers& headers) {
    for (std::string_view name :
         {hook::kProcessGroup, hook::kApplicationGroup, hook::kCallableObject}) {
      PyRef fn = function(module, std::string(name));
      if (!fn) continue;
      PyRef result = call(fn.get(), {environ});
      if (!result) return raised(std::string(name) + "()");
      if (result.get() == Py_None) continue;
      if (!PyUnicode_Check(result.get()) && !PyBytes_Check(result.get())) {
        return wrong_type(result.get(), "None or a name (str)", name);
      }
      const auto value = as_latin1(result.get());
      if (!value) return raised(std::string(name) + "() result");
      headers.emplace_back(std::string(name), *value);
    }
    return true;
  }

  static PyRef function(PyObject* module, const std::string& name) {
    PyRef fn = PyRef::steal(PyObject_GetAttrString(module, name.c_str()));
    if (!fn || !PyCallable_Check(fn.get())) {
      PyErr_Clear();
      return {};
    }
    return fn;
  }

  static PyRef call(PyObject* fn, std::initializer_list<PyObject*> args) {
    PyRef tuple = PyRef::steal(PyTuple_New(static_cast<Py_ssize_t>(args.size())));
    if (!tuple) return {};
    Py_ssize_t i = 0;
    for (PyObject* a : args) {
      Py_INCREF(a);
      PyTuple_SET_ITEM(tuple.get(), i++, a);
    }
    return PyRef::steal(PyObject_Call(fn, tuple.get(), nullptr));
  }

  bool raised(const std::string& what) {
    log("WSGID0530: " + call_.directive + " script '" + call_.script + "' raised in " + what +
        "; the request fails with 500 until it is fixed:\n" + take_exception_text());
    return false;
  }

  bool wrong_type(PyObject* result, const std::string& expected, std::string_view fn = {}) {
    log("WSGID0532: " + std::string(fn.empty() ? std::string_view(call_.kind) : fn) + "() of " +
        call_.directive + " script '" + call_.script + "' returned a " + Py_TYPE(result)->tp_name +
        "; it must return " + expected);
    return false;
  }

  void log(const std::string& text) { log_text(LogLevel::kError, text, call_.client); }

  const HookCall& call_;
  std::string who_;
};

void drain_request_body(Connection& conn) {
  while (!conn.body_complete()) {
    if (conn.next_body_chunk().empty()) break;
  }
}

}  // namespace

bool is_hook_request(const wire::Pairs& head) {
  for (const auto& [k, v] : head) {
    if (k == hook::kKind) return true;
  }
  return false;
}

void serve_hook(Connection& conn, const wire::Pairs& head, std::string_view who) {
  const HookCall call = read_call(head);
  drain_request_body(conn);
  Headers headers;
  bool ok = false;
  std::string error;
  PyThreadState* state = thread_state_for(call.application_group, error);
  if (state == nullptr) {
    log_text(LogLevel::kError, "WSGID0512: " + error, call.client);
  } else {
    GilScope gil(state);
    ok = Runner(call, who).run(head, headers);
    if (!ok) headers.clear();
  }
  std::vector<std::pair<std::string_view, std::string_view>> views(headers.begin(), headers.end());
  std::string out;
  wire::append_response_head(out, ok ? 200 : 500, ok ? "OK" : "Internal Server Error", views);
  wire::append_frame(out, wire::FrameType::kResponseEnd, conn.response_end_flags(), {});
  conn.write_all(out);
}

}  // namespace wsgid::python
