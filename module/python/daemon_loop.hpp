// The daemon's life after httpd forked it: start Python, preload, sandbox, serve with N
// request threads, drain on SIGTERM/SIGUSR1/maximum-requests, run atexit, return.
#pragma once

#include "python_abi.h"

namespace wsgid::python {

// Never throws; returns the process exit status (see python_abi.h).
int daemon_main(const wsgid_daemon_spec* spec) noexcept;

}  // namespace wsgid::python
