#include "log_object.hpp"

#include <new>
#include <string>
#include <unordered_map>

namespace wsgid::python {
namespace {

// Text after the last newline that one thread wrote, and the request it was serving then.
struct Pending {
  std::string request_id;
  std::string text;
};

// Partial lines are kept per writing thread (all access is under the GIL), so concurrent
// requests printing to the shared sys.stdout never splice into one line, and a partial line
// left by one request goes out under that request's id, not the next one's.
using PendingByThread = std::unordered_map<unsigned long, Pending>;

constexpr std::size_t kMaxPartialLine = 8192;

struct LogObject {
  PyObject_HEAD LogLevel level;
  std::string client;
  // wsgi.errors: its request's id, whichever thread writes. sys.stdout/sys.stderr: "", and
  // each line carries the id of the request the writing thread is serving, if any.
  std::string request_id;
  PendingByThread pending;
};

void write_line(const LogObject* self, std::string_view text, std::string_view request_id) {
  log_line_for(self->level, text, self->client, request_id);
}

void emit_lines(const LogObject* self, Pending& p) {
  std::size_t start = 0;
  for (;;) {
    const auto nl = p.text.find('\n', start);
    if (nl == std::string::npos) break;
    write_line(self, std::string_view(p.text).substr(start, nl - start), p.request_id);
    start = nl + 1;
  }
  p.text.erase(0, start);
}

void emit_all_pending(LogObject* self) {
  for (auto& [thread, p] : self->pending) {
    if (!p.text.empty()) write_line(self, p.text, p.request_id);
  }
  self->pending.clear();
}

void log_dealloc(PyObject* o) {
  auto* self = reinterpret_cast<LogObject*>(o);
  emit_all_pending(self);
  self->client.~basic_string();
  self->request_id.~basic_string();
  self->pending.~PendingByThread();
  PyObject_Free(o);
}

// Appends UTF-8 (or, through .buffer, whatever bytes the app wrote) to the writing thread's
// partial line and emits the complete lines.
void append(LogObject* self, std::string_view data) {
  const std::string& id = self->request_id.empty() ? current_request_id() : self->request_id;
  const auto thread = PyThread_get_thread_ident();
  Pending& p = self->pending[thread];
  if (!p.text.empty() && p.request_id != id) {
    write_line(self, p.text, p.request_id);  // the previous request's unfinished line
    p.text.clear();
  }
  p.request_id = id;
  p.text.append(data);
  emit_lines(self, p);
  // A writer that never ends its line (a progress bar, a flood without newlines) would grow the
  // buffer without limit and rescan it on every write: past the limit it goes out as a line.
  if (p.text.size() > kMaxPartialLine) {
    write_line(self, p.text, p.request_id);
    p.text.clear();
  }
  if (p.text.empty()) self->pending.erase(thread);
}

PyObject* log_write(PyObject* o, PyObject* arg) {
  auto* self = reinterpret_cast<LogObject*>(o);
  if (!PyUnicode_Check(arg)) {
    PyErr_Format(PyExc_TypeError, "write() argument must be str, not %.100s",
                 Py_TYPE(arg)->tp_name);
    return nullptr;
  }
  PyRef bytes = PyRef::steal(PyUnicode_AsEncodedString(arg, "utf-8", "backslashreplace"));
  if (!bytes) return nullptr;
  append(self, std::string_view(PyBytes_AS_STRING(bytes.get()),
                                static_cast<std::size_t>(PyBytes_GET_SIZE(bytes.get()))));
  return PyLong_FromSsize_t(PyUnicode_GET_LENGTH(arg));
}

PyObject* log_writelines(PyObject* o, PyObject* lines) {
  PyRef it = PyRef::steal(PyObject_GetIter(lines));
  if (!it) return nullptr;
  while (PyRef line = PyRef::steal(PyIter_Next(it.get()))) {
    PyRef r = PyRef::steal(log_write(o, line.get()));
    if (!r) return nullptr;
  }
  if (PyErr_Occurred()) return nullptr;
  Py_RETURN_NONE;
}

PyObject* log_flush(PyObject* o, PyObject*) {
  flush_log(o);
  Py_RETURN_NONE;
}

PyObject* log_false(PyObject*, PyObject*) { Py_RETURN_FALSE; }
// fd 2 is the group's error log: faulthandler and friends that want a descriptor write there.
PyObject* log_fileno(PyObject*, PyObject*) { return PyLong_FromLong(2); }
PyObject* log_true(PyObject*, PyObject*) { Py_RETURN_TRUE; }

PyObject* log_closed(PyObject*, void*) { Py_RETURN_FALSE; }
PyObject* log_encoding(PyObject*, void*) { return PyUnicode_FromString("utf-8"); }

PyObject* log_errors(PyObject*, void*) { return PyUnicode_FromString("backslashreplace"); }
PyObject* log_line_buffering(PyObject*, void*) { Py_RETURN_TRUE; }
PyObject* log_mode(PyObject*, void*) { return PyUnicode_FromString("w"); }
PyObject* log_name(PyObject*, void*) { return PyUnicode_FromString("<wsgid error log>"); }
PyObject* log_buffer(PyObject* o, void*);

// ---- .buffer: the binary side, as io.TextIOWrapper has ----------------------------------------
// Apps and libraries (Mercurial, click) write bytes to sys.stdout.buffer. Its bytes join the same
// per-thread partial line as the text written to the Log object, so mixing both stays in order.
// Made on each access and holding the Log strongly: a cached one would be a reference cycle
// that types without GC support never free (wsgi.errors is made per request).
struct LogBufferObject {
  PyObject_HEAD PyObject* log;
};

void buffer_dealloc(PyObject* o) {
  Py_XDECREF(reinterpret_cast<LogBufferObject*>(o)->log);
  PyObject_Free(o);
}

LogObject* buffer_log(PyObject* o) {
  return reinterpret_cast<LogObject*>(reinterpret_cast<LogBufferObject*>(o)->log);
}

PyObject* buffer_write(PyObject* o, PyObject* arg) {
  Py_buffer view{};
  if (PyUnicode_Check(arg)) {
    PyErr_Format(PyExc_TypeError, "a bytes-like object is required, not 'str'");
    return nullptr;
  }
  if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) != 0) return nullptr;
  append(buffer_log(o),
         std::string_view(static_cast<const char*>(view.buf), static_cast<std::size_t>(view.len)));
  const Py_ssize_t written = view.len;
  PyBuffer_Release(&view);
  return PyLong_FromSsize_t(written);
}

PyObject* buffer_writelines(PyObject* o, PyObject* lines) {
  PyRef it = PyRef::steal(PyObject_GetIter(lines));
  if (!it) return nullptr;
  while (PyRef line = PyRef::steal(PyIter_Next(it.get()))) {
    PyRef r = PyRef::steal(buffer_write(o, line.get()));
    if (!r) return nullptr;
  }
  if (PyErr_Occurred()) return nullptr;
  Py_RETURN_NONE;
}

PyObject* buffer_flush(PyObject* o, PyObject*) {
  emit_all_pending(buffer_log(o));
  Py_RETURN_NONE;
}

PyObject* log_false(PyObject*, PyObject*);
PyObject* log_true(PyObject*, PyObject*);
PyObject* log_fileno(PyObject*, PyObject*);
PyObject* log_closed(PyObject*, void*);

PyObject* buffer_mode(PyObject*, void*) { return PyUnicode_FromString("wb"); }

PyObject* buffer_raw(PyObject* o, void*) {
  Py_INCREF(o);
  return o;
}

PyMethodDef kBufferMethods[] = {
    {"write", buffer_write, METH_O, "Write bytes; complete lines go to the error log."},
    {"writelines", buffer_writelines, METH_O, "Write each bytes object of an iterable."},
    {"flush", buffer_flush, METH_NOARGS, "Write out a partial line."},
    {"isatty", log_false, METH_NOARGS, nullptr},
    {"fileno", log_fileno, METH_NOARGS, "2: the daemon group's error log."},
    {"readable", log_false, METH_NOARGS, nullptr},
    {"seekable", log_false, METH_NOARGS, nullptr},
    {"writable", log_true, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyGetSetDef kBufferGetSet[] = {{"closed", log_closed, nullptr, nullptr, nullptr},
                               {"raw", buffer_raw, nullptr, nullptr, nullptr},
                               {"mode", buffer_mode, nullptr, nullptr, nullptr},
                               {"name", log_name, nullptr, nullptr, nullptr},
                               {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyTypeObject g_buffer_type = {PyVarObject_HEAD_INIT(nullptr, 0)};

PyMethodDef kLogMethods[] = {
    {"write", log_write, METH_O, "Write text; complete lines go to the error log."},
    {"writelines", log_writelines, METH_O, "Write each string of an iterable."},
    {"flush", log_flush, METH_NOARGS, "Write out a partial line."},
    {"isatty", log_false, METH_NOARGS, nullptr},
    {"fileno", log_fileno, METH_NOARGS, "2: the daemon group's error log."},
    {"readable", log_false, METH_NOARGS, nullptr},
    {"seekable", log_false, METH_NOARGS, nullptr},
    {"writable", log_true, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyGetSetDef kLogGetSet[] = {{"closed", log_closed, nullptr, nullptr, nullptr},
                            {"encoding", log_encoding, nullptr, nullptr, nullptr},
                            {"errors", log_errors, nullptr, nullptr, nullptr},
                            {"line_buffering", log_line_buffering, nullptr, nullptr, nullptr},
                            {"mode", log_mode, nullptr, nullptr, nullptr},
                            {"name", log_name, nullptr, nullptr, nullptr},
                            {"buffer", log_buffer, nullptr, nullptr, nullptr},
                            {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyTypeObject g_log_type = {PyVarObject_HEAD_INIT(nullptr, 0)};

PyObject* log_buffer(PyObject* o, void*) {
  auto* self = PyObject_New(LogBufferObject, &g_buffer_type);
  if (self == nullptr) return nullptr;
  Py_INCREF(o);
  self->log = o;
  return reinterpret_cast<PyObject*>(self);
}

// isinstance(sys.stdout, io.TextIOBase) and isinstance(sys.stdout.buffer, io.BufferedIOBase) hold
// as in a real interpreter: libraries pick their write strategy by them (Mercurial trusts a
// BufferedIOBase to write everything at once).
bool register_with_io() {
  PyRef io = PyRef::steal(PyImport_ImportModule("io"));
  if (!io) return false;
  for (auto [abc, type] :
       {std::pair{"TextIOBase", &g_log_type}, std::pair{"BufferedIOBase", &g_buffer_type}}) {
    PyRef base = PyRef::steal(PyObject_GetAttrString(io.get(), abc));
    if (!base) return false;
    PyRef r = PyRef::steal(
        PyObject_CallMethod(base.get(), "register", "O", reinterpret_cast<PyObject*>(type)));
    if (!r) return false;
  }
  return true;
}

}  // namespace

bool log_type_ready() {
  g_log_type.tp_name = "wsgid.Log";
  g_log_type.tp_basicsize = sizeof(LogObject);
  g_log_type.tp_dealloc = log_dealloc;
  g_log_type.tp_flags = Py_TPFLAGS_DEFAULT;
  g_log_type.tp_doc = "Writes lines of text to the daemon group's error log.";
  g_log_type.tp_methods = kLogMethods;
  g_log_type.tp_getset = kLogGetSet;
  g_buffer_type.tp_name = "wsgid.LogBuffer";
  g_buffer_type.tp_basicsize = sizeof(LogBufferObject);
  g_buffer_type.tp_dealloc = buffer_dealloc;
  g_buffer_type.tp_flags = Py_TPFLAGS_DEFAULT;
  g_buffer_type.tp_doc = "The binary side of a wsgid.Log: bytes become error-log lines.";
  g_buffer_type.tp_methods = kBufferMethods;
  g_buffer_type.tp_getset = kBufferGetSet;
  return PyType_Ready(&g_log_type) == 0 && PyType_Ready(&g_buffer_type) == 0;
}

PyRef make_log(LogLevel level, std::string_view client, std::string_view request_id) {
  auto* self = PyObject_New(LogObject, &g_log_type);
  if (self == nullptr) return {};
  self->level = level;
  new (&self->client) std::string(client);
  new (&self->request_id) std::string(request_id);
  new (&self->pending) PendingByThread();
  return PyRef::steal(reinterpret_cast<PyObject*>(self));
}

void flush_log(PyObject* o) {
  if (o == nullptr || Py_TYPE(o) != &g_log_type) return;
  emit_all_pending(reinterpret_cast<LogObject*>(o));
}

bool install_std_streams() {
  if (!register_with_io()) return false;
  PyRef out = make_log(LogLevel::kError, {});
  PyRef err = make_log(LogLevel::kError, {});
  if (!out || !err) return false;
  return PySys_SetObject("stdout", out.get()) == 0 && PySys_SetObject("stderr", err.get()) == 0;
}

}  // namespace wsgid::python
