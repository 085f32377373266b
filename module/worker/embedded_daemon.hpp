// Embedded mode: WSGI applications without a daemon process group run inside httpd's worker
// child, in an "in-process daemon". On the first embedded request a worker loads
// wsgid_python.so, listens on a private abstract UNIX socket and runs the Python side's
// daemon_main on a background thread; requests then take the same framed exchange as daemon
// mode. A worker that never sees an embedded request or a Python hook never maps libpython.
#pragma once

#include <httpd.h>

#include "config/config.hpp"

namespace wsgid {

// child_init: remembers the child pool (for the stop cleanup), also under WSGIRestrictEmbedded
// On, where the Python hooks (python_hooks.hpp) still need the in-process daemon. With embedded
// preloads (process-group=%{GLOBAL}) it starts Python at once, so they run at child start.
void embedded_child_init(apr_pool_t* pchild, server_rec* s);

// post_config: under WSGIRestrictEmbedded On, says which process-group=%{GLOBAL} preloads
// will never run (WSGID0123).
void warn_about_unused_embedded_preloads(server_rec* s);

// The in-process group to exchange with, started on first use (thread-safe, once); nullptr
// when it could not be started (logged as WSGID0120).
const DaemonGroup* embedded_group(request_rec* r);

}  // namespace wsgid
