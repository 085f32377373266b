// wsgi.file_wrapper: wraps a file-like object and iterates it in blocks. A distinct type, so
// the adapter can recognise it and hand a regular file's descriptor to httpd for sendfile
// instead of copying the file through the daemon.
#pragma once

#include "py_ref.hpp"

namespace wsgid::python {

bool file_wrapper_type_ready();
PyObject* file_wrapper_type();  // borrowed
bool is_file_wrapper(PyObject* o);
// The wrapped file-like object (borrowed; null once cleared). `o` must be a file wrapper.
PyObject* file_wrapper_filelike(PyObject* o);

}  // namespace wsgid::python
