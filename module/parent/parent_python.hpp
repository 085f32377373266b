// WSGILazyInitialization Off: Python is started once in the httpd parent, before it forks
// workers and daemons, so they share its pages copy-on-write and start faster. It is never
// finalised: httpd reloads mod_wsgid.so on every graceful restart, but wsgid_python.so and the
// interpreter stay, which is what keeps the parent from growing across restarts (mod_wsgi
// finalises and re-initialises Python on each restart, and each round leaks).
#pragma once

#include <httpd.h>

namespace wsgid {

// post_config, before daemons are forked: starts Python in the parent when the configuration
// says WSGILazyInitialization Off. OK, or HTTP_INTERNAL_SERVER_ERROR after logging why.
int start_parent_python(server_rec* s);

}  // namespace wsgid
