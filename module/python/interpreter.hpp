// CPython inside a daemon: start-up from the daemon spec (home or virtualenv, python-path,
// lang, locale), the application groups ("" is the main interpreter, any other name a
// sub-interpreter created on first use and kept), and one thread state per (thread,
// interpreter) kept for the thread's life so threading.local data survives across requests.
#pragma once

#include <string>
#include <vector>

#include "python_abi.h"

#define PY_SSIZE_T_CLEAN
#include <Python.h>

namespace wsgid::python {

// WSGILazyInitialization Off, in the httpd parent: starts Python from the spec's Python
// settings and releases the GIL; later forks inherit it and start_python resumes it. Returns 0
// (started, or already running with the same settings), 1 (running with other settings: see
// message) or -1 (failed: see message).
int start_python_in_parent(const wsgid_daemon_spec& spec, std::string& message);

// Starts the main interpreter on the calling thread, or, in a process forked from a parent
// that started Python, resumes the inherited one. On success the calling thread does not
// hold the GIL; on failure `error` says why.
bool start_python(const wsgid_daemon_spec& spec, std::string& error);

// The calling thread's state for `group`, creating the sub-interpreter on first use. Call
// without the GIL. Returns null and fills `error` on failure.
PyThreadState* thread_state_for(const std::string& group, std::string& error);

// Called by a thread that will run no more Python: releases its thread states.
void release_thread_states();

// On the calling thread, in every interpreter (sub-interpreters first): run the atexit
// functions and flush sys.stdout/sys.stderr. Call without the GIL.
void run_exit_functions();

// Holds the GIL in a given thread state for one scope.
class GilScope {
 public:
  explicit GilScope(PyThreadState* state) { PyEval_RestoreThread(state); }
  ~GilScope() { PyEval_SaveThread(); }
  GilScope(const GilScope&) = delete;
  GilScope& operator=(const GilScope&) = delete;
};

}  // namespace wsgid::python
