// One WSGI call from environ to close(): start_response and write() share the response state
// with the body loop (exc_info rules, the head held until the first body byte, frames batched
// with it), so they stay in one file (about 560 lines); start_response()'s argument checks are
// response_validation.cpp, the request body wsgi_input.cpp, file_wrapper file_wrapper.cpp.
#include "wsgi_adapter.hpp"

#include <strings.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <cstring>
#include <utility>
#include <vector>

#include "error_log.hpp"
#include "file_wrapper.hpp"
#include "log_object.hpp"
#include "py_ref.hpp"
#include "response_validation.hpp"
#include "python_error.hpp"
#include "script_loader.hpp"
#include "wsgi_input.hpp"

namespace wsgid::python {
namespace {

// Small body chunks are copied and sent with what precedes them in one write; bigger ones go
// out by reference from the Python bytes object.
constexpr std::size_t kCoalesceLimit = 64 * 1024;

// Body frames carry at most this much (the protocol allows 1 MiB). The worker must hold a whole
// frame before it can pass any of it on, so 1 MiB frames grew its frame buffer to 2 MiB and its
// response buckets to 1 MiB per request, which httpd's allocators and glibc's per-thread arenas
// then kept: 50 MiB per worker child after the 1 MiB benchmarks, 8-10 MiB with 64 KiB frames.
// The worker also starts writing to the client while the rest is still coming: 1 MiB GET went
// from ~870 to ~1,470 req/s. Smaller (32 KiB) frames saved no more and cost file_wrapper
// throughput. docs/memory.md.
constexpr std::size_t kBodyFrameSize = 64 * 1024;

constexpr std::string_view kErrorBody =
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"
    "<title>500 Internal Server Error</title>\n</head><body>\n<h1>Internal Server Error</h1>\n"
    "<p>The server encountered an internal error or\nmisconfiguration and was unable to "
    "complete\nyour request.</p>\n<p>More information about this error may be available\n"
    "in the server error log.</p>\n</body></html>\n";

struct Response {
  Connection* conn = nullptr;
  bool status_set = false;
  bool headers_sent = false;  // the head is queued or written: the status is final
  bool head_on_wire = false;  // the worker may already be relaying it: too late for a 500
  std::uint16_t status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string pending;  // whole frames not yet written
  // From the application's Content-Length header: PEP 3333 says never send more than it.
  std::optional<std::uint64_t> content_length;
  std::uint64_t body_sent = 0;
  bool io_failed = false;
  ConnectionError::Kind io_kind = ConnectionError::Kind::kIo;
  std::string io_error;
};

void append_head(Response& r) {
  std::vector<std::pair<std::string_view, std::string_view>> views;
  views.reserve(r.headers.size());
  for (const auto& [k, v] : r.headers) views.emplace_back(k, v);
  wire::append_response_head(r.pending, r.status, r.reason, views);
  r.headers_sent = true;
}

// Runs `write` on the connection with the GIL released; a ConnectionError is recorded in r
// (io_failed, io_kind, io_error) and false returned. The pending frames have gone either way.
template <typename Write>
bool write_without_gil(Response& r, Write&& write) {
  Connection* conn = r.conn;
  bool ok = true;
  Py_BEGIN_ALLOW_THREADS;
  try {
    write(*conn);
  } catch (const ConnectionError& e) {
    ok = false;
    r.io_kind = e.kind();
    r.io_error = e.what();
  }
  Py_END_ALLOW_THREADS;
  r.pending.clear();
  if (!ok) r.io_failed = true;
  return ok;
}

// Writes pending frames, then `data` as body frames of at most kBodyFrameSize, in one
// gathered write with the GIL released, or, for a chunk larger than kCoalesceLimit, through the
// connection's ring: copied once into shared memory the worker hands to httpd as it is, instead
// of into the socket and out of it again (docs/architecture.md, "Response bodies through the
// ring"). Returns false (recorded in r) on I/O failure.
bool flush(Response& r, std::string_view data = {}) {
  if (r.io_failed) return false;
  if (data.size() > kCoalesceLimit && r.conn->has_ring()) {
    const std::string_view pending = r.pending;
    const bool ok = write_without_gil(
        r, [&pending, data](Connection& conn) { conn.send_body_shared(pending, data); });
    if (ok && r.headers_sent) r.head_on_wire = true;
    return ok;
  }
  const std::size_t pieces = (data.size() + kBodyFrameSize - 1) / kBodyFrameSize;
  std::vector<std::array<unsigned char, wire::kHeaderSize>> headers(pieces);
  std::vector<iovec> iov;
  iov.reserve(1 + 2 * pieces);
  iov.push_back({r.pending.data(), r.pending.size()});
  for (std::size_t i = 0; i < pieces; ++i) {
    const std::size_t off = i * kBodyFrameSize;
    const std::size_t len = std::min<std::size_t>(kBodyFrameSize, data.size() - off);
    wire::encode_header(wire::FrameType::kResponseBody, 0, static_cast<std::uint32_t>(len),
                        headers[i].data());
    iov.push_back({headers[i].data(), headers[i].size()});
    iov.push_back({const_cast<char*>(data.data() + off), len});
  }
  const bool ok = write_without_gil(r, [&iov](Connection& conn) { conn.write_all(iov); });
  if (ok && r.headers_sent) r.head_on_wire = true;
  return ok;
}

// `may_hold`: more body is known to follow at once, so a small chunk may wait in `pending`.
bool send_body(Response& r, std::string_view data, bool may_hold) {
  if (!r.headers_sent) append_head(r);
  if (r.content_length) {
    data = data.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(
                              data.size(), *r.content_length - r.body_sent)));
  }
  r.body_sent += data.size();
  if (data.size() <= kCoalesceLimit) {
    if (!data.empty()) {
      append_body_header(r.pending, static_cast<std::uint32_t>(data.size()));
      r.pending.append(data);
    }
    if (may_hold && r.pending.size() < kCoalesceLimit) return true;
    return flush(r);
  }
  return flush(r, data);
}

bool finish(Response& r) {
  if (!r.headers_sent) append_head(r);
  wire::append_frame(r.pending, wire::FrameType::kResponseEnd, r.conn->response_end_flags(), {});
  return flush(r);
}

// wsgi.file_wrapper on a regular file opened for binary reading: the daemon passes the
// descriptor (SCM_RIGHTS) and the worker's httpd sends the bytes with sendfile, so they never
// cross the daemon socket. Returns false, with nothing sent, when the object is anything else;
// then it is iterated as usual. The file's own position is left alone (the bytes are read at an
// explicit offset: tell()), and a declared Content-Length still caps what is sent.
bool send_file_descriptor(Response& r, PyObject* wrapper) {
  PyObject* filelike = file_wrapper_filelike(wrapper);
  if (filelike == nullptr || !r.status_set || r.io_failed) return false;
  PyRef mode = PyRef::steal(PyObject_GetAttrString(filelike, "mode"));
  const char* m = mode && PyUnicode_Check(mode.get()) ? PyUnicode_AsUTF8(mode.get()) : nullptr;
  if (m == nullptr || std::strchr(m, 'b') == nullptr || std::strchr(m, 'r') == nullptr) {
    PyErr_Clear();
    return false;
  }
  PyRef fileno = PyRef::steal(PyObject_CallMethod(filelike, "fileno", nullptr));
  PyRef tell = fileno ? PyRef::steal(PyObject_CallMethod(filelike, "tell", nullptr)) : PyRef();
  const long fd = tell ? PyLong_AsLong(fileno.get()) : -1;
  const long long offset = fd >= 0 ? PyLong_AsLongLong(tell.get()) : -1;
  if (PyErr_Occurred() || fd < 0 || offset < 0) {
    PyErr_Clear();
    return false;
  }
  struct stat st {};
  if (::fstat(static_cast<int>(fd), &st) != 0 || !S_ISREG(st.st_mode) || offset >= st.st_size) {
    return false;
  }
  std::uint64_t length = static_cast<std::uint64_t>(st.st_size - offset);
  if (r.content_length) length = std::min(length, *r.content_length - r.body_sent);
  if (length == 0) return false;
  if (!r.headers_sent) append_head(r);
  const std::string_view pending = r.pending;  // the head goes in the same write
  const bool ok = write_without_gil(r, [&](Connection& conn) {
    conn.send_file(pending, static_cast<int>(fd), static_cast<std::uint64_t>(offset), length);
  });
  if (ok) r.head_on_wire = true;
  r.body_sent += length;
  return true;
}

void send_error_response(Response& r) {
  r.pending.clear();
  r.status = 500;
  r.reason = "Internal Server Error";
  r.headers = {{"Content-Type", "text/html; charset=iso-8859-1"},
               {"Content-Length", std::to_string(kErrorBody.size())}};
  append_head(r);
  append_body_header(r.pending, static_cast<std::uint32_t>(kErrorBody.size()));
  r.pending.append(kErrorBody);
  finish(r);
}

// ---- start_response and write ---------------------------------------------------------------

struct WriteObject {
  PyObject_HEAD Response* response;  // null once the request is over
};

struct StartResponseObject {
  PyObject_HEAD Response* response;
  PyObject* write;
};

PyTypeObject g_write_type = {PyVarObject_HEAD_INIT(nullptr, 0)};
PyTypeObject g_start_response_type = {PyVarObject_HEAD_INIT(nullptr, 0)};

PyObject* write_call(PyObject* o, PyObject* args, PyObject* kwargs) {
  Response* r = reinterpret_cast<WriteObject*>(o)->response;
  PyObject* data = nullptr;
  if (!PyArg_ParseTuple(args, "O:write", &data) ||
      (kwargs != nullptr && PyDict_GET_SIZE(kwargs) > 0)) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "write() takes no keyword arguments");
    return nullptr;
  }
  if (r == nullptr) {
    PyErr_SetString(PyExc_RuntimeError, "write() called after the request finished");
    return nullptr;
  }
  if (!PyBytes_Check(data)) {
    PyErr_Format(PyExc_TypeError, "WSGID0511: write() needs bytes, not %.100s",
                 Py_TYPE(data)->tp_name);
    return nullptr;
  }
  if (!r->status_set) {
    PyErr_SetString(PyExc_RuntimeError, "WSGID0511: write() called before start_response()");
    return nullptr;
  }
  PyRef keep = PyRef::borrow(data);
  if (!send_body(*r,
                 std::string_view(PyBytes_AS_STRING(data),
                                  static_cast<std::size_t>(PyBytes_GET_SIZE(data))),
                 false)) {
    PyErr_Format(PyExc_OSError, "response write failed: %s", r->io_error.c_str());
    return nullptr;
  }
  Py_RETURN_NONE;
}

void write_dealloc(PyObject* o) { PyObject_Free(o); }

PyObject* start_response_call(PyObject* o, PyObject* args, PyObject* kwargs) {
  auto* self = reinterpret_cast<StartResponseObject*>(o);
  static const char* kwlist[] = {"status", "response_headers", "exc_info", nullptr};
  PyObject *status = nullptr, *headers = nullptr, *exc_info = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O:start_response", const_cast<char**>(kwlist),
                                   &status, &headers, &exc_info)) {
    return nullptr;
  }
  Response* r = self->response;
  if (r == nullptr) {
    PyErr_SetString(PyExc_RuntimeError, "start_response() called after the request finished");
    return nullptr;
  }
  if (exc_info != Py_None) {
    if (!PyTuple_Check(exc_info) || PyTuple_GET_SIZE(exc_info) != 3) {
      PyErr_SetString(PyExc_TypeError, "exc_info must be a (type, value, traceback) tuple");
      return nullptr;
    }
    if (r->headers_sent) {
      // PEP 3333: too late to change the response; re-raise the application's exception.
      PyObject* t = PyTuple_GET_ITEM(exc_info, 0);
      PyObject* v = PyTuple_GET_ITEM(exc_info, 1);
      PyObject* tb = PyTuple_GET_ITEM(exc_info, 2);
      Py_INCREF(t);
      Py_INCREF(v);
      Py_INCREF(tb);
      PyErr_Restore(t, v, tb == Py_None ? (Py_DECREF(tb), nullptr) : tb);
      return nullptr;
    }
  } else if (r->status_set) {
    PyErr_SetString(PyExc_RuntimeError,
                    "WSGID0511: start_response() called a second time without exc_info");
    return nullptr;
  }
  std::uint16_t code = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> parsed;
  if (!parse_status(status, code, reason) || !parse_headers(headers, parsed)) return nullptr;
  r->status = code;
  r->reason = std::move(reason);
  r->headers = std::move(parsed);
  r->content_length.reset();
  for (const auto& [name, value] : r->headers) {
    if (strcasecmp(name.c_str(), "Content-Length") != 0) continue;
    char* end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
    if (!value.empty() && std::isdigit(static_cast<unsigned char>(value[0])) && *end == '\0' &&
        errno == 0) {
      r->content_length = n;
    }
  }
  r->status_set = true;
  Py_INCREF(self->write);
  return self->write;
}

void start_response_dealloc(PyObject* o) {
  Py_XDECREF(reinterpret_cast<StartResponseObject*>(o)->write);
  PyObject_Free(o);
}

PyRef make_start_response(Response* r, PyRef& write) {
  auto* w = PyObject_New(WriteObject, &g_write_type);
  if (w == nullptr) return {};
  w->response = r;
  write = PyRef::steal(reinterpret_cast<PyObject*>(w));
  auto* s = PyObject_New(StartResponseObject, &g_start_response_type);
  if (s == nullptr) return {};
  s->response = r;
  s->write = PyRef(write).release();
  return PyRef::steal(reinterpret_cast<PyObject*>(s));
}

// ---- environ --------------------------------------------------------------------------------

bool set_item(PyObject* d, const char* key, PyObject* value) {
  return value != nullptr && PyDict_SetItemString(d, key, value) == 0;
}

PyRef build_environ(const wire::Pairs& head, const GroupSettings& settings, PyObject* input,
                    PyObject* errors) {
  PyRef env = PyRef::steal(PyDict_New());
  if (!env) return {};
  bool https = false;
  for (const auto& [k, v] : head) {
    PyRef key =
        PyRef::steal(PyUnicode_DecodeLatin1(k.data(), static_cast<Py_ssize_t>(k.size()), nullptr));
    PyRef value =
        PyRef::steal(PyUnicode_DecodeLatin1(v.data(), static_cast<Py_ssize_t>(v.size()), nullptr));
    if (!key || !value || PyDict_SetItem(env.get(), key.get(), value.get()) != 0) return {};
    if (k == "HTTPS") https = (v == "1" || v == "on" || v == "ON" || v == "On");
  }
  PyRef version = PyRef::steal(Py_BuildValue("(ii)", 1, 0));
  PyRef scheme = PyRef::steal(PyUnicode_FromString(https ? "https" : "http"));
  if (!set_item(env.get(), "wsgi.version", version.get()) ||
      !set_item(env.get(), "wsgi.url_scheme", scheme.get()) ||
      !set_item(env.get(), "wsgi.input", input) || !set_item(env.get(), "wsgi.errors", errors) ||
      !set_item(env.get(), "wsgi.multithread", settings.multithread ? Py_True : Py_False) ||
      !set_item(env.get(), "wsgi.multiprocess", settings.multiprocess ? Py_True : Py_False) ||
      !set_item(env.get(), "wsgi.run_once", settings.run_once ? Py_True : Py_False) ||
      !set_item(env.get(), "wsgi.file_wrapper", file_wrapper_type()) ||
      !set_item(env.get(), "wsgi.input_terminated", Py_True)) {
    return {};
  }
  return env;
}

bool is_head_request(const wire::Pairs& head) {
  for (const auto& [k, v] : head) {
    if (k == "REQUEST_METHOD") return v == "HEAD";
  }
  return false;
}

void log_connection_failure(const Connection& conn, const RequestTarget& t) {
  python::log_connection_failure(conn.failure_kind(), conn.failure(),
                                 "worker connection failed while serving '" + t.script + "'",
                                 t.client);
}

}  // namespace

bool adapter_types_ready() {
  g_write_type.tp_name = "wsgid.Write";
  g_write_type.tp_basicsize = sizeof(WriteObject);
  g_write_type.tp_dealloc = write_dealloc;
  g_write_type.tp_flags = Py_TPFLAGS_DEFAULT;
  g_write_type.tp_call = write_call;
  g_start_response_type.tp_name = "wsgid.StartResponse";
  g_start_response_type.tp_basicsize = sizeof(StartResponseObject);
  g_start_response_type.tp_dealloc = start_response_dealloc;
  g_start_response_type.tp_flags = Py_TPFLAGS_DEFAULT;
  g_start_response_type.tp_call = start_response_call;
  return PyType_Ready(&g_write_type) == 0 && PyType_Ready(&g_start_response_type) == 0;
}

RequestTarget request_target(const wire::Pairs& head) {
  RequestTarget t;
  t.callable = "application";
  std::string_view addr, port, handler;
  for (const auto& [k, v] : head) {
    if (k == "SCRIPT_FILENAME")
      t.script = v;
    else if (k == "mod_wsgi.application_group")
      t.application_group = v;
    else if (k == "mod_wsgi.callable_object" && !v.empty())
      t.callable = v;
    else if (k == "REMOTE_ADDR")
      addr = v;
    else if (k == "REMOTE_PORT")
      port = v;
    else if (k == "mod_wsgi.script_reloading")
      t.script_reloading = v != "0";
    else if (k == "mod_wsgi.handler_script" && !v.empty())
      handler = v;
  }
  if (!handler.empty()) {
    // The handler script serves the mapped file: it is loaded instead, and its handle_request
    // is called; SCRIPT_FILENAME stays the mapped file in the environ.
    t.resource = std::move(t.script);
    t.script = handler;
    t.callable = "handle_request";
    t.handler_script = true;
  }
  if (!addr.empty()) t.client = std::string(addr) + (port.empty() ? "" : ":") + std::string(port);
  return t;
}

void send_internal_error(Connection& conn) {
  Response r;
  r.conn = &conn;
  r.status = 500;
  std::string out;
  const std::pair<std::string_view, std::string_view> headers[] = {
      {"Content-Type", "text/html; charset=iso-8859-1"}};
  wire::append_response_head(out, 500, "Internal Server Error", headers);
  wire::append_frame(out, wire::FrameType::kResponseBody, 0, kErrorBody);
  wire::append_frame(out, wire::FrameType::kResponseEnd, 0, {});
  try {
    conn.write_all(out);
  } catch (const ConnectionError&) {
    // The worker is gone; it will report the failure on its side.
  }
}

bool run_wsgi_request(Connection& conn, const wire::Pairs& head, const RequestTarget& target,
                      const GroupSettings& settings) {
  Response r;
  r.conn = &conn;
  PyRef errors = make_log(LogLevel::kError, target.client, current_request_id());
  PyRef input = make_input(&conn);
  // Last, once the response is complete: another application thread may still be reading
  // this body, and waking it breaks the connection's read side.
  struct InputDetach {
    PyObject* input;
    ~InputDetach() { detach_input(input); }
  } input_detach{input.get()};
  PyRef write;
  PyRef start_response = make_start_response(&r, write);
  PyRef environ = (errors && input && start_response)
                      ? build_environ(head, settings, input.get(), errors.get())
                      : PyRef();
  if (!environ) {
    log_text(LogLevel::kError,
             "WSGID0509: cannot build the WSGI environ:\n" + take_exception_text(), target.client);
    send_error_response(r);
    return !r.io_failed;
  }

  std::string app_error;  // traceback of the first failure in application code
  LoadFailure load_failure;
  PyRef app = load_callable(target.script, target.callable, load_failure, target.script_reloading);
  PyRef result;
  if (!app) {
    log_text(LogLevel::kError, load_failure.code + ": " + load_failure.message, target.client);
    app_error = "(logged above)";
  } else {
    result = PyRef::steal(
        PyObject_CallFunctionObjArgs(app.get(), environ.get(), start_response.get(), nullptr));
    if (!result) app_error = take_exception_text();
  }

  if (result) {
    // A list or tuple has nothing to wait for between chunks, so small ones share one write
    // with ResponseEnd; a file has no reason to stream block by block either. Generators go
    // out chunk by chunk.
    const bool sized = PyList_CheckExact(result.get()) || PyTuple_CheckExact(result.get());
    const bool file = is_file_wrapper(result.get());
    const bool sent_as_file =
        file && !is_head_request(head) && send_file_descriptor(r, result.get());
    PyRef iter = sent_as_file ? PyRef() : PyRef::steal(PyObject_GetIter(result.get()));
    if (!iter && !sent_as_file) app_error = take_exception_text();
    for (Py_ssize_t index = 0; iter && !r.io_failed; ++index) {
      PyRef item = PyRef::steal(PyIter_Next(iter.get()));
      if (!item) {
        if (PyErr_Occurred()) app_error = take_exception_text();
        break;
      }
      if (!PyBytes_Check(item.get())) {
        PyErr_Format(PyExc_TypeError,
                     "WSGID0511: the response iterable yielded %.100s; it must yield bytes",
                     Py_TYPE(item.get())->tp_name);
        app_error = take_exception_text();
        break;
      }
      if (PyBytes_GET_SIZE(item.get()) == 0) continue;
      if (!r.status_set) {
        PyErr_SetString(PyExc_RuntimeError,
                        "WSGID0511: the application yielded body data before calling "
                        "start_response()");
        app_error = take_exception_text();
        break;
      }
      send_body(r,
                std::string_view(PyBytes_AS_STRING(item.get()),
                                 static_cast<std::size_t>(PyBytes_GET_SIZE(item.get()))),
                file || sized);
    }
    // PEP 3333: close() is called whatever happened, even on errors or a lost worker.
    if (PyObject_HasAttrString(result.get(), "close")) {
      PyRef closed = PyRef::steal(PyObject_CallMethod(result.get(), "close", nullptr));
      if (!closed) {
        const std::string trace = take_exception_text();
        if (app_error.empty())
          app_error = trace;
        else
          log_text(LogLevel::kError, "close() of the response iterable also failed:\n" + trace,
                   target.client);
      }
    }
  }
  reinterpret_cast<StartResponseObject*>(start_response.get())->response = nullptr;
  reinterpret_cast<WriteObject*>(write.get())->response = nullptr;
  flush_log(errors.get());

  if (r.io_failed || conn.broken()) {
    // The application's own error (if any) is only the echo of the lost connection.
    log_connection_failure(conn, target);
    return false;
  }
  if (!app_error.empty()) {
    if (app) {
      log_text(LogLevel::kError,
               std::string(r.head_on_wire ? "WSGID0510" : "WSGID0509") +
                   ": exception in WSGI application '" + target.script + "' (callable '" +
                   target.callable + "')" +
                   (r.head_on_wire ? ", after the response started; response truncated" : "") +
                   ":\n" + app_error,
               target.client);
    }
    if (r.head_on_wire) return false;  // no ResponseEnd: the worker shows a broken response
    send_error_response(r);
    return !r.io_failed;
  }
  if (!r.status_set) {
    log_line(LogLevel::kError,
             "WSGID0511: WSGI application '" + target.script +
                 "' returned without calling start_response()",
             target.client);
    send_error_response(r);
    return !r.io_failed;
  }
  const bool bodyless =
      is_head_request(head) || r.status < 200 || r.status == 204 || r.status == 304;
  if (r.content_length && r.body_sent < *r.content_length && !bodyless) {
    // Ending here would leave the client waiting for bytes that never come; without
    // ResponseEnd the worker shows the response as broken instead.
    flush(r);
    log_line(LogLevel::kError,
             "WSGID0521: WSGI application '" + target.script + "' sent " +
                 std::to_string(r.body_sent) + " bytes but declared Content-Length " +
                 std::to_string(*r.content_length) + "; response truncated",
             target.client);
    return false;
  }
  if (!finish(r)) {
    log_connection_failure(conn, target);
    return false;
  }
  return true;
}

}  // namespace wsgid::python
