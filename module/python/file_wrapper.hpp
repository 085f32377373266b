// wsgi.file_wrapper: wraps a file-like object and iterates it in blocks. A distinct type, so
// the adapter can recognise it and (in a later version) hand the file descriptor to httpd for
// sendfile instead of copying the file through the daemon.
#pragma once

#include "py_ref.hpp"

namespace wsgid::python {

bool file_wrapper_type_ready();
PyObject* file_wrapper_type();  // borrowed
bool is_file_wrapper(PyObject* o);

}  // namespace wsgid::python
