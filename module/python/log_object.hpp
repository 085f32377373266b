// A file-like object that turns text into error-log lines: sys.stdout and sys.stderr in every
// interpreter, and each request's wsgi.errors (which also names the client, as httpd does).
// Text is buffered until a newline so that print("a", "b") yields one line, not three.
#pragma once

#include <string_view>

#include "error_log.hpp"
#include "py_ref.hpp"

namespace wsgid::python {

// Once, with the GIL, before any Log object is created (the type is shared by interpreters).
bool log_type_ready();

// `request_id` "": each line takes the id of the request its writing thread serves.
PyRef make_log(LogLevel level, std::string_view client, std::string_view request_id = {});

// Flushes the partial line of a Log object (no-op for anything else).
void flush_log(PyObject* log);

// In the current interpreter: sys.stdout and sys.stderr become Log objects.
bool install_std_streams();

}  // namespace wsgid::python
