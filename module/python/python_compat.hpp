// The CPython C API uses that differ between the versions wsgid embeds (3.11 to 3.13, see
// cmake/WsgidPythonVersion.cmake), in one place: everything else in module/python/ is written
// against the API all of them share. Compiled for whichever version the build embeds.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030E0000
#error "wsgid embeds CPython 3.11 to 3.13 (cmake/WsgidPythonVersion.cmake)"
#endif

namespace wsgid::python::compat {

// The pending exception as one normalised object, its traceback attached, and the error
// indicator cleared; null when none is pending. New reference. (3.12 deprecates the
// type/value/traceback triple PyErr_Fetch hands out.)
inline PyObject* take_raised_exception() {
#if PY_VERSION_HEX >= 0x030C0000
  return PyErr_GetRaisedException();
#else
  PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  if (type == nullptr) return nullptr;
  PyErr_NormalizeException(&type, &value, &traceback);
  if (value != nullptr && traceback != nullptr) PyException_SetTraceback(value, traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  return value;
#endif
}

// Makes `exception` (a reference this call steals; null for none) the pending exception again.
inline void restore_raised_exception(PyObject* exception) {
  if (exception == nullptr) return;
#if PY_VERSION_HEX >= 0x030C0000
  PyErr_SetRaisedException(exception);
#else
  PyErr_Restore(Py_NewRef(reinterpret_cast<PyObject*>(Py_TYPE(exception))), exception,
                PyException_GetTraceback(exception));
#endif
}

// In a process forked from one that started Python and released the GIL in `parent_state`:
// takes the GIL in that state and lets CPython repair its locks and thread table for this
// process. The calling thread must be the one that forked. On return it holds the GIL.
// httpd forks without PyOS_BeforeFork. Up to 3.12 PyOS_AfterFork_Child re-creates the runtime's
// locks, so that does not matter; from 3.13 they are PyMutexes it *unlocks*, expecting
// PyOS_BeforeFork to have locked them, and an unlocked one is a fatal error. So on 3.13 the
// child takes them first: the same before/after-in-child sequence a fork from Python runs,
// with the "before" half in the child, where the parent's state is not touched.
inline void resume_in_forked_child(PyThreadState* parent_state) {
  PyEval_RestoreThread(parent_state);
#if PY_VERSION_HEX >= 0x030D0000
  PyOS_BeforeFork();
#endif
  PyOS_AfterFork_Child();
}

}  // namespace wsgid::python::compat
