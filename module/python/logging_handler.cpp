#include "logging_handler.hpp"

#include <map>
#include <mutex>

#include "error_log.hpp"
#include "py_ref.hpp"
#include "python_error.hpp"

namespace wsgid::python {
namespace {

// Python's numeric levels (logging.DEBUG ...).
constexpr int kPyDebug = 10;
constexpr int kPyInfo = 20;
constexpr int kPyWarning = 30;
constexpr int kPyError = 40;
constexpr int kPyCritical = 50;

LogLevel level_for_record(int levelno) {
  if (levelno >= kPyCritical) return LogLevel::kCrit;
  if (levelno >= kPyError) return LogLevel::kError;
  if (levelno >= kPyWarning) return LogLevel::kWarn;
  if (levelno >= kPyInfo) return LogLevel::kInfo;
  return LogLevel::kDebug;
}

// The least severe Python level that httpd's LogLevel still writes.
int python_threshold() {
  switch (max_log_level()) {
    case LogLevel::kDebug:
      return kPyDebug;
    case LogLevel::kInfo:
      return kPyInfo;
    case LogLevel::kNotice:
    case LogLevel::kWarn:
      return kPyWarning;
    case LogLevel::kError:
      return kPyError;
    default:
      return kPyCritical;
  }
}

// _emit(levelno, text): the C end of the handler. Writing to fd 2 is one short write(2),
// as for sys.stderr, so the GIL is kept.
PyObject* emit(PyObject*, PyObject* args) {
  int levelno = 0;
  PyObject* text = nullptr;
  if (!PyArg_ParseTuple(args, "iU:_emit", &levelno, &text)) return nullptr;
  const LogLevel level = level_for_record(levelno);
  if (log_enabled(level)) {
    PyRef bytes = PyRef::steal(PyUnicode_AsEncodedString(text, "utf-8", "backslashreplace"));
    if (!bytes) return nullptr;
    log_text(level, std::string_view(PyBytes_AS_STRING(bytes.get()),
                                     static_cast<std::size_t>(PyBytes_GET_SIZE(bytes.get()))));
  }
  Py_RETURN_NONE;
}

PyMethodDef kEmitDef = {"_emit", emit, METH_VARARGS,
                        "Writes text to the error log at the level of a logging record."};

constexpr const char* kHandlerSource = R"(
import logging

class ErrorLogHandler(logging.Handler):
    """Writes logging records to the daemon group's error log at their own level."""

    def emit(self, record):
        try:
            _emit(record.levelno, self.format(record))
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

handler = ErrorLogHandler(threshold)
handler.setFormatter(logging.Formatter('%(name)s: %(message)s'))
logging.lastResort = handler
)";

// One handler per interpreter; interpreters live as long as the daemon, and so do these.
std::mutex g_handlers_mutex;
std::map<PyInterpreterState*, PyObject*> g_handlers;

PyInterpreterState* current_interpreter() {
  return PyThreadState_GetInterpreter(PyThreadState_Get());
}

}  // namespace

bool install_logging_handler(std::string& error) {
  PyRef globals = PyRef::steal(PyDict_New());
  PyRef emit_fn = PyRef::steal(PyCFunction_New(&kEmitDef, nullptr));
  PyRef threshold = PyRef::steal(PyLong_FromLong(python_threshold()));
  PyRef name = PyRef::steal(PyUnicode_FromString("wsgid"));
  if (!globals || !emit_fn || !threshold || !name ||
      PyDict_SetItemString(globals.get(), "__builtins__", PyEval_GetBuiltins()) != 0 ||
      PyDict_SetItemString(globals.get(), "__name__", name.get()) != 0 ||
      PyDict_SetItemString(globals.get(), "_emit", emit_fn.get()) != 0 ||
      PyDict_SetItemString(globals.get(), "threshold", threshold.get()) != 0) {
    error = "cannot set up the logging handler:\n" + take_exception_text();
    return false;
  }
  PyRef r = PyRef::steal(PyRun_String(kHandlerSource, Py_file_input, globals.get(), globals.get()));
  PyObject* handler = r ? PyDict_GetItemString(globals.get(), "handler") : nullptr;
  if (handler == nullptr) {
    error = "cannot set up the logging handler:\n" + take_exception_text();
    return false;
  }
  Py_INCREF(handler);
  std::lock_guard lock(g_handlers_mutex);
  g_handlers[current_interpreter()] = handler;
  return true;
}

void attach_logging_handler_to_root() {
  PyObject* handler = nullptr;
  {
    std::lock_guard lock(g_handlers_mutex);
    if (auto it = g_handlers.find(current_interpreter()); it != g_handlers.end()) {
      handler = it->second;
    }
  }
  if (handler == nullptr) return;
  // Whatever exception the caller may be holding is not ours to clear or lose.
  PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyRef logging = PyRef::steal(PyImport_ImportModule("logging"));
  PyRef root =
      logging ? PyRef::steal(PyObject_CallMethod(logging.get(), "getLogger", nullptr)) : PyRef();
  PyRef handlers = root ? PyRef::steal(PyObject_GetAttrString(root.get(), "handlers")) : PyRef();
  const Py_ssize_t count = handlers ? PyObject_Length(handlers.get()) : -1;
  if (count == 0) {
    PyRef added = PyRef::steal(PyObject_CallMethod(root.get(), "addHandler", "O", handler));
    PyRef level = added ? PyRef::steal(PyObject_GetAttrString(root.get(), "level")) : PyRef();
    const long current = level ? PyLong_AsLong(level.get()) : -1;
    if (current == kPyWarning && python_threshold() < kPyWarning) {
      PyRef set =
          PyRef::steal(PyObject_CallMethod(root.get(), "setLevel", "i", python_threshold()));
    }
  }
  if (PyErr_Occurred()) {
    log_text(LogLevel::kWarn,
             "WSGID0522: cannot add the error-log handler to the root logger; "
             "Python logging keeps its own configuration:\n" +
                 take_exception_text());
  }
  PyErr_Restore(type, value, traceback);
}

}  // namespace wsgid::python
