#include "file_wrapper.hpp"

#include <structmember.h>

namespace wsgid::python {
namespace {

struct FileWrapperObject {
  PyObject_HEAD PyObject* filelike;
  Py_ssize_t blksize;
};

int fw_init(PyObject* o, PyObject* args, PyObject* kwds) {
  auto* self = reinterpret_cast<FileWrapperObject*>(o);
  static const char* kwlist[] = {"filelike", "blksize", nullptr};
  PyObject* filelike = nullptr;
  Py_ssize_t blksize = 8192;
  if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|n:file_wrapper", const_cast<char**>(kwlist),
                                   &filelike, &blksize)) {
    return -1;
  }
  if (blksize <= 0) {
    PyErr_SetString(PyExc_ValueError, "file_wrapper blksize must be positive");
    return -1;
  }
  Py_INCREF(filelike);
  Py_XSETREF(self->filelike, filelike);
  self->blksize = blksize;
  return 0;
}

int fw_traverse(PyObject* o, visitproc visit, void* arg) {
  Py_VISIT(reinterpret_cast<FileWrapperObject*>(o)->filelike);
  return 0;
}

int fw_clear(PyObject* o) {
  Py_CLEAR(reinterpret_cast<FileWrapperObject*>(o)->filelike);
  return 0;
}

void fw_dealloc(PyObject* o) {
  PyObject_GC_UnTrack(o);
  fw_clear(o);
  Py_TYPE(o)->tp_free(o);
}

PyObject* fw_iter(PyObject* o) {
  Py_INCREF(o);
  return o;
}

PyObject* fw_next(PyObject* o) {
  auto* self = reinterpret_cast<FileWrapperObject*>(o);
  if (self->filelike == nullptr) return nullptr;
  PyRef data = PyRef::steal(PyObject_CallMethod(self->filelike, "read", "n", self->blksize));
  if (!data) return nullptr;
  if (PyObject_Length(data.get()) <= 0) {
    PyErr_Clear();
    return nullptr;  // StopIteration
  }
  return data.release();
}

PyObject* fw_close(PyObject* o, PyObject*) {
  auto* self = reinterpret_cast<FileWrapperObject*>(o);
  if (self->filelike != nullptr && PyObject_HasAttrString(self->filelike, "close")) {
    PyRef r = PyRef::steal(PyObject_CallMethod(self->filelike, "close", nullptr));
    if (!r) return nullptr;
  }
  Py_RETURN_NONE;
}

PyMethodDef kFwMethods[] = {{"close", fw_close, METH_NOARGS, "Close the wrapped file."},
                            {nullptr, nullptr, 0, nullptr}};

PyMemberDef kFwMembers[] = {
    {"filelike", T_OBJECT, offsetof(FileWrapperObject, filelike), READONLY, nullptr},
    {"blksize", T_PYSSIZET, offsetof(FileWrapperObject, blksize), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

PyTypeObject g_fw_type = {PyVarObject_HEAD_INIT(nullptr, 0)};

}  // namespace

bool file_wrapper_type_ready() {
  g_fw_type.tp_name = "wsgid.FileWrapper";
  g_fw_type.tp_basicsize = sizeof(FileWrapperObject);
  g_fw_type.tp_dealloc = fw_dealloc;
  g_fw_type.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC;
  g_fw_type.tp_doc = "wsgi.file_wrapper(filelike, blksize=8192)";
  g_fw_type.tp_traverse = fw_traverse;
  g_fw_type.tp_clear = fw_clear;
  g_fw_type.tp_iter = fw_iter;
  g_fw_type.tp_iternext = fw_next;
  g_fw_type.tp_methods = kFwMethods;
  g_fw_type.tp_members = kFwMembers;
  g_fw_type.tp_init = fw_init;
  g_fw_type.tp_new = PyType_GenericNew;
  return PyType_Ready(&g_fw_type) == 0;
}

PyObject* file_wrapper_type() { return reinterpret_cast<PyObject*>(&g_fw_type); }

bool is_file_wrapper(PyObject* o) { return Py_TYPE(o) == &g_fw_type; }

PyObject* file_wrapper_filelike(PyObject* o) {
  return reinterpret_cast<FileWrapperObject*>(o)->filelike;
}

}  // namespace wsgid::python
