#include "python_error.hpp"

#include "py_ref.hpp"
#include "python_compat.hpp"

namespace wsgid::python {

std::string take_exception_text() {
  if (!PyErr_Occurred()) return {};
  PyRef v = PyRef::steal(compat::take_raised_exception());

  std::string text;
  PyRef module = PyRef::steal(PyImport_ImportModule("traceback"));
  PyRef lines;
  if (module) {
    lines = PyRef::steal(
        PyObject_CallMethod(module.get(), "format_exception", "O", v ? v.get() : Py_None));
  }
  if (lines) {
    PyRef joined =
        PyRef::steal(PyUnicode_Join(PyRef::steal(PyUnicode_FromString("")).get(), lines.get()));
    if (joined) {
      if (const char* s = PyUnicode_AsUTF8(joined.get())) text = s;
    }
  }
  if (text.empty()) {
    // traceback itself failed (e.g. during shutdown): fall back to the exception's repr.
    PyErr_Clear();
    PyRef repr = PyRef::steal(PyObject_Repr(v ? v.get() : Py_None));
    const char* s = repr ? PyUnicode_AsUTF8(repr.get()) : nullptr;
    text = s != nullptr ? s : "unprintable exception";
  }
  PyErr_Clear();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace wsgid::python
