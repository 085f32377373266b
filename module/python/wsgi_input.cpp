#include "wsgi_input.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <thread>

namespace wsgid::python {
namespace {

// No buffer of its own: the unread part of the current body frame is a view into the
// connection's frame buffer (valid until the connection reads again, which only this object
// does while the request runs), and read(n) copies straight from the frames into the bytes
// object it returns. A request body therefore costs one copy into Python, and no per-request
// buffer that the thread's malloc arena would keep after a large upload.
struct InputObject {
  PyObject_HEAD Connection* conn;  // null once the request is over
  std::string_view chunk;          // unread bytes of the last frame pulled
  bool busy;                       // a read is blocked with the GIL released
};

bool at_eof(const InputObject* self) {
  return self->conn == nullptr || self->conn->body_complete();
}

// With `chunk` used up: makes the next non-empty body frame the chunk, or leaves it empty at the
// end of the body. Returns false with a Python exception set.
bool pull(InputObject* self) {
  while (self->chunk.empty() && !at_eof(self)) {
    if (self->busy) {
      PyErr_SetString(PyExc_RuntimeError, "wsgi.input read from two threads at once");
      return false;
    }
    self->busy = true;
    std::string error;
    std::string_view chunk;
    Connection* conn = self->conn;
    Py_BEGIN_ALLOW_THREADS;
    try {
      chunk = conn->next_body_chunk();
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
    // Detached while we waited (another thread ended the request): the view would dangle.
    if (self->conn == nullptr) return true;
    self->chunk = chunk;
  }
  return true;
}

std::string_view consume(InputObject* self, std::size_t n) {
  const std::string_view head = self->chunk.substr(0, n);
  self->chunk.remove_prefix(head.size());
  return head;
}

// Grows `out` (a bytes object this function owns) to hold at least `need` bytes.
bool reserve_bytes(PyObject*& out, std::size_t& capacity, std::size_t need) {
  if (need <= capacity) return true;
  const std::size_t grown = std::max(need, capacity * 2);
  if (_PyBytes_Resize(&out, static_cast<Py_ssize_t>(grown)) != 0) return false;
  capacity = grown;
  return true;
}

// Up to `want` bytes (all of the body for npos), copied from the frames into one bytes object.
PyObject* read_impl(InputObject* self, std::size_t want) {
  if (want == 0) return PyBytes_FromStringAndSize(nullptr, 0);
  if (self->chunk.empty() && !pull(self)) return nullptr;
  if (self->chunk.size() >= want || at_eof(self)) {
    const std::string_view part = consume(self, want);
    return PyBytes_FromStringAndSize(part.data(), static_cast<Py_ssize_t>(part.size()));
  }
  // Spans frames. The bytes object starts at what is known to come (so read(huge) on a small
  // body does not allocate `huge`) and doubles as frames arrive.
  std::size_t capacity = std::min(want, std::max<std::size_t>(self->chunk.size(), 64 * 1024));
  PyObject* out = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(capacity));
  if (out == nullptr) return nullptr;
  std::size_t size = 0;
  while (size < want) {
    if (self->chunk.empty()) {
      if (!pull(self)) {
        Py_DECREF(out);
        return nullptr;
      }
      if (self->chunk.empty()) break;  // end of the body
    }
    const std::string_view part = consume(self, want - size);
    if (!reserve_bytes(out, capacity, size + part.size())) return nullptr;
    std::memcpy(PyBytes_AS_STRING(out) + size, part.data(), part.size());
    size += part.size();
  }
  if (size != capacity && _PyBytes_Resize(&out, static_cast<Py_ssize_t>(size)) != 0) {
    return nullptr;
  }
  return out;
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
  Py_ssize_t size = -1;
  if (!parse_size(args, nargs, "read", size)) return nullptr;
  return read_impl(reinterpret_cast<InputObject*>(o),
                   size < 0 ? std::string_view::npos : static_cast<std::size_t>(size));
}

PyObject* readline_impl(InputObject* self, Py_ssize_t size) {
  const std::size_t limit = size < 0 ? std::string_view::npos : static_cast<std::size_t>(size);
  if (limit == 0) return PyBytes_FromStringAndSize(nullptr, 0);
  std::string line;  // only for a line that spans frames
  for (;;) {
    if (self->chunk.empty()) {
      if (!pull(self)) return nullptr;
      if (self->chunk.empty()) break;  // end of the body
    }
    const std::size_t room = limit - line.size();
    const std::size_t nl = self->chunk.substr(0, room).find('\n');
    const std::string_view part = consume(self, nl == std::string_view::npos ? room : nl + 1);
    if (line.empty() && (nl != std::string_view::npos || part.size() == room)) {
      return PyBytes_FromStringAndSize(part.data(), static_cast<Py_ssize_t>(part.size()));
    }
    line.append(part);
    if (nl != std::string_view::npos || line.size() == limit) break;
  }
  return PyBytes_FromStringAndSize(line.data(), static_cast<Py_ssize_t>(line.size()));
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

void input_dealloc(PyObject* o) { PyObject_Free(o); }

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
  new (&self->chunk) std::string_view();
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
  self->chunk = {};
}

}  // namespace wsgid::python
