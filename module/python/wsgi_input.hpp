// wsgi.input: read(), readline(), readlines() and iteration over the request body, pulling
// RequestBody frames from the worker connection only when the application asks for more.
// The GIL is released while waiting, and RequestEnd is EOF, so read() with no size is safe.
#pragma once

#include "connection.hpp"
#include "py_ref.hpp"

namespace wsgid::python {

bool input_type_ready();
PyRef make_input(Connection* conn);
// The request is over: later reads on a stashed wsgi.input see EOF instead of a dead pointer.
void detach_input(PyObject* input);

}  // namespace wsgid::python
