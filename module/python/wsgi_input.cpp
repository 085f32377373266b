#include "wsgi_input.hpp"

#include <sys/socket.h>

#include <new>
#include <thread>
#include <string>

namespace wsgid::python {
namespace {

struct InputObject {
  PyObject_HEAD Connection* conn;  // null once the request is over
  std::string buf;
  std::size_t pos;
  bool busy;  // a read is blocked with the GIL released
};

std::size_t available(const InputObject* self) { return self->buf.size() - self->pos; }

bool at_eof(const InputObject* self) {
  return self->conn == nullptr || self->conn->body_complete();
}

// Appends the next body frame to the buffer. Returns false with a Python exception set.
bool pull(InputObject* self) {
  if (at_eof(self)) return true;
  if (self->busy) {
    PyErr_SetString(PyExc_RuntimeError, "wsgi.input read from two threads at once");
    return false;
  }
  if (self->pos > 0 && self->pos >= self->buf.size() / 2) {
    self->buf.erase(0, self->pos);
    self->pos = 0;
  }
  self->busy = true;
  std::string error;
  Connection* conn = self->conn;
  std::string& buf = self->buf;
  Py_BEGIN_ALLOW_THREADS;
  try {
    const std::string_view chunk = conn->next_body_chunk();
    buf.append(chunk);
  } catch (const ConnectionError& e) {
    error = e.what();
  } catch (const std::exception& e) {
    error = e.what();
  }
  Py_END_ALLOW_THREADS;
  self->busy = false;
  if (!error.empty()) {
    PyErr_Format(PyExc_OSError, "request body read failed: %s", error.c_str());
    return false;
  }
  return true;
}

PyObject* take(InputObject* self, std::size_t n) {
  PyObject* r = PyBytes_FromStringAndSize(self->buf.data() + self->pos, static_cast<Py_ssize_t>(n));
  if (r != nullptr) self->pos += n;
  return r;
}

bool parse_size(PyObject* const* args, Py_ssize_t nargs, const char* name, Py_ssize_t& size) {
  size = -1;
  if (nargs > 1) {
    PyErr_Format(PyExc_TypeError, "%s() takes at most 1 argument", name);
    return false;
  }
  if (nargs == 0 || args[0] == Py_None) return true;
  size = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
  return !(size == -1 && PyErr_Occurred());
}

PyObject* input_read(PyObject* o, PyObject* const* args, Py_ssize_t nargs) {
  auto* self = reinterpret_cast<InputObject*>(o);
  Py_ssize_t size = -1;
  if (!parse_size(args, nargs, "read", size)) return nullptr;
  if (size < 0) {
    while (!at_eof(self)) {
      if (!pull(self)) return nullptr;
    }
    return take(self, available(self));
  }
  const auto want = static_cast<std::size_t>(size);
  while (available(self) < want && !at_eof(self)) {
    if (!pull(self)) return nullptr;
  }
  return take(self, std::min(want, available(self)));
}

PyObject* readline_impl(InputObject* self, Py_ssize_t size) {
  std::size_t scanned = 0;  // bytes after pos already known to hold no newline
  for (;;) {
    const std::size_t avail = available(self);
    const std::size_t limit = size < 0 ? avail : std::min(avail, static_cast<std::size_t>(size));
    const auto nl = self->buf.find('\n', self->pos + scanned);
    if (nl != std::string::npos && nl - self->pos < limit) return take(self, nl - self->pos + 1);
    if (size >= 0 && avail >= static_cast<std::size_t>(size)) return take(self, limit);
    if (at_eof(self)) return take(self, avail);
    scanned = avail;  // relative to pos, which is what pull()'s compaction preserves
    if (!pull(self)) return nullptr;
  }
}

PyObject* input_readline(PyObject* o, PyObject* const* args, Py_ssize_t nargs) {
  Py_ssize_t size = -1;
  if (!parse_size(args, nargs, "readline", size)) return nullptr;
  return readline_impl(reinterpret_cast<InputObject*>(o), size);
}

PyObject* input_readlines(PyObject* o, PyObject* const* args, Py_ssize_t nargs) {
  auto* self = reinterpret_cast<InputObject*>(o);
  Py_ssize_t hint = -1;
  if (!parse_size(args, nargs, "readlines", hint)) return nullptr;
  PyRef lines = PyRef::steal(PyList_New(0));
  if (!lines) return nullptr;
  Py_ssize_t total = 0;
  for (;;) {
    PyRef line = PyRef::steal(readline_impl(self, -1));
    if (!line) return nullptr;
    const Py_ssize_t n = PyBytes_GET_SIZE(line.get());
    if (n == 0) break;
    if (PyList_Append(lines.get(), line.get()) != 0) return nullptr;
    total += n;
    if (hint > 0 && total >= hint) break;
  }
  return lines.release();
}

PyObject* input_iter(PyObject* o) {
  Py_INCREF(o);
  return o;
}

PyObject* input_next(PyObject* o) {
  PyObject* line = readline_impl(reinterpret_cast<InputObject*>(o), -1);
  if (line != nullptr && PyBytes_GET_SIZE(line) == 0) {
    Py_DECREF(line);
    return nullptr;  // StopIteration
  }
  return line;
}

PyObject* input_close(PyObject*, PyObject*) { Py_RETURN_NONE; }

void input_dealloc(PyObject* o) {
  auto* self = reinterpret_cast<InputObject*>(o);
  self->buf.~basic_string();
  PyObject_Free(o);
}

PyMethodDef kInputMethods[] = {
    {"read", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(input_read)), METH_FASTCALL,
     "read(size=-1): bytes of the request body; b'' at its end."},
    {"readline", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(input_readline)),
     METH_FASTCALL, "readline(size=-1): one line of the request body."},
    {"readlines", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(input_readlines)),
     METH_FASTCALL, "readlines(hint=-1): the remaining lines."},
    {"close", input_close, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr}};

PyTypeObject g_input_type = {PyVarObject_HEAD_INIT(nullptr, 0)};

}  // namespace

bool input_type_ready() {
  g_input_type.tp_name = "wsgid.Input";
  g_input_type.tp_basicsize = sizeof(InputObject);
  g_input_type.tp_dealloc = input_dealloc;
  g_input_type.tp_flags = Py_TPFLAGS_DEFAULT;
  g_input_type.tp_doc = "wsgi.input: the request body, streamed from the worker.";
  g_input_type.tp_iter = input_iter;
  g_input_type.tp_iternext = input_next;
  g_input_type.tp_methods = kInputMethods;
  return PyType_Ready(&g_input_type) == 0;
}

PyRef make_input(Connection* conn) {
  auto* self = PyObject_New(InputObject, &g_input_type);
  if (self == nullptr) return {};
  self->conn = conn;
  new (&self->buf) std::string();
  self->pos = 0;
  self->busy = false;
  return PyRef::steal(reinterpret_cast<PyObject*>(self));
}

void detach_input(PyObject* input) {
  if (input == nullptr || Py_TYPE(input) != &g_input_type) return;
  auto* self = reinterpret_cast<InputObject*>(input);
  if (self->busy && self->conn != nullptr) {
    // Another Python thread of the application is blocked reading this body, outside the
    // GIL, through a connection that is about to be closed. Wake it (the read fails) and wait
    // until it has let go, so it never touches a freed connection.
    ::shutdown(self->conn->fd(), SHUT_RD);
    PyRef keep = PyRef::borrow(input);
    while (self->busy) {
      Py_BEGIN_ALLOW_THREADS;
      std::this_thread::yield();
      Py_END_ALLOW_THREADS;
    }
  }
  self->conn = nullptr;
}

}  // namespace wsgid::python
