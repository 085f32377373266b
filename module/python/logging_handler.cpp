#include "logging_handler.hpp"

#include <map>
#include <mutex>

#include "error_log.hpp"
#include "py_ref.hpp"
#include "python_compat.hpp"
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

// Importing logging costs a daemon about 2 MiB (it pulls in re, traceback, string, weakref
// and warnings), which mod_wsgi's daemons do not pay: the handler is created when the
// application first imports logging, by an import hook that wraps logging's loader, and not
// at start-up. An app that never logs never loads it.
constexpr const char* kHandlerSource = R"(
import sys

handler = None
attach_on_import = False  # a WSGI script has loaded: attach as soon as logging exists


def _install(logging):
    global handler

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
    try:
        sys.meta_path.remove(_LoggingImportHook)
    except ValueError:
        pass
    if attach_on_import:
        try:
            _attach(logging)
        except Exception:
            import traceback
            _emit(30, 'WSGID0522: cannot add the error-log handler to the root logger; '
                      'Python logging keeps its own configuration:\n' + traceback.format_exc())


def _attach(logging):
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler)
        if root.level == logging.WARNING and threshold < logging.WARNING:
            root.setLevel(threshold)


def attach():
    global attach_on_import
    attach_on_import = True
    if handler is not None:
        _attach(sys.modules['logging'])


class _Loader:
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # The module sees its real loader; this wrapper only runs _install afterwards.
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        try:
            _install(module)
        except Exception:  # the application's import of logging must not fail because of us
            import traceback
            _emit(30, 'WSGID0522: cannot set up the error-log handler for logging:\n' +
                  traceback.format_exc())


class _LoggingImportHook:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != 'logging' or handler is not None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, 'find_spec', None)
            if finder is _LoggingImportHook or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if hasattr(spec.loader, 'exec_module'):
                    spec.loader = _Loader(spec.loader)
                return spec
        return None


if 'logging' in sys.modules:
    _install(sys.modules['logging'])
else:
    sys.meta_path.insert(0, _LoggingImportHook)
)";

// One namespace per interpreter (holding the hook, the handler once created, and attach());
// interpreters live as long as the daemon, and so do these.
std::mutex g_namespaces_mutex;
std::map<PyInterpreterState*, PyObject*> g_namespaces;

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
  if (!r) {
    error = "cannot set up the logging handler:\n" + take_exception_text();
    return false;
  }
  std::lock_guard lock(g_namespaces_mutex);
  g_namespaces[current_interpreter()] = globals.release();
  return true;
}

void attach_logging_handler_to_root() {
  PyObject* ns = nullptr;
  {
    std::lock_guard lock(g_namespaces_mutex);
    if (auto it = g_namespaces.find(current_interpreter()); it != g_namespaces.end()) {
      ns = it->second;
    }
  }
  if (ns == nullptr) return;
  // Whatever exception the caller may be holding is not ours to clear or lose.
  PyObject* pending = compat::take_raised_exception();
  PyObject* attach = PyDict_GetItemString(ns, "attach");
  PyRef r = attach != nullptr ? PyRef::steal(PyObject_CallNoArgs(attach)) : PyRef();
  if (!r && PyErr_Occurred()) {
    log_text(LogLevel::kWarn,
             "WSGID0522: cannot add the error-log handler to the root logger; "
             "Python logging keeps its own configuration:\n" +
                 take_exception_text());
  }
  compat::restore_raised_exception(pending);
}

}  // namespace wsgid::python
