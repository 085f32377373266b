#include "log_object.hpp"

#include <new>
#include <string>

namespace wsgid::python {
namespace {

struct LogObject {
  PyObject_HEAD LogLevel level;
  std::string client;
  // wsgi.errors: its request's id, whichever thread writes. sys.stdout/sys.stderr: "", and
  // each line carries the id of the request the writing thread is serving, if any.
  std::string request_id;
  std::string pending;  // text after the last newline
};

void write_line(const LogObject* self, std::string_view text) {
  log_line_for(self->level, text, self->client,
               self->request_id.empty() ? std::string_view(current_request_id())
                                        : std::string_view(self->request_id));
}

void emit_lines(LogObject* self) {
  std::size_t start = 0;
  for (;;) {
    const auto nl = self->pending.find('\n', start);
    if (nl == std::string::npos) break;
    write_line(self, std::string_view(self->pending).substr(start, nl - start));
    start = nl + 1;
  }
  self->pending.erase(0, start);
}

void log_dealloc(PyObject* o) {
  auto* self = reinterpret_cast<LogObject*>(o);
  if (!self->pending.empty()) write_line(self, self->pending);
  self->client.~basic_string();
  self->request_id.~basic_string();
  self->pending.~basic_string();
  PyObject_Free(o);
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
  self->pending.append(PyBytes_AS_STRING(bytes.get()),
                       static_cast<std::size_t>(PyBytes_GET_SIZE(bytes.get())));
  emit_lines(self);
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
                            {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyTypeObject g_log_type = {PyVarObject_HEAD_INIT(nullptr, 0)};

}  // namespace

bool log_type_ready() {
  g_log_type.tp_name = "wsgid.Log";
  g_log_type.tp_basicsize = sizeof(LogObject);
  g_log_type.tp_dealloc = log_dealloc;
  g_log_type.tp_flags = Py_TPFLAGS_DEFAULT;
  g_log_type.tp_doc = "Writes lines of text to the daemon group's error log.";
  g_log_type.tp_methods = kLogMethods;
  g_log_type.tp_getset = kLogGetSet;
  return PyType_Ready(&g_log_type) == 0;
}

PyRef make_log(LogLevel level, std::string_view client, std::string_view request_id) {
  auto* self = PyObject_New(LogObject, &g_log_type);
  if (self == nullptr) return {};
  self->level = level;
  new (&self->client) std::string(client);
  new (&self->request_id) std::string(request_id);
  new (&self->pending) std::string();
  return PyRef::steal(reinterpret_cast<PyObject*>(self));
}

void flush_log(PyObject* o) {
  if (o == nullptr || Py_TYPE(o) != &g_log_type) return;
  auto* self = reinterpret_cast<LogObject*>(o);
  if (self->pending.empty()) return;
  write_line(self, self->pending);
  self->pending.clear();
}

bool install_std_streams() {
  PyRef out = make_log(LogLevel::kError, {});
  PyRef err = make_log(LogLevel::kError, {});
  if (!out || !err) return false;
  return PySys_SetObject("stdout", out.get()) == 0 && PySys_SetObject("stderr", err.get()) == 0;
}

}  // namespace wsgid::python
