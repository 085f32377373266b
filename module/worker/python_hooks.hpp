// The worker side of mod_wsgi's Python hooks: WSGIAccessScript (an access checker),
// WSGIAuthUserScript (authn provider "wsgi" for Basic and Digest), WSGIAuthGroupScript (authz
// provider "wsgi-group") and WSGIDispatchScript (per-request process group, application group
// and callable). They run in the worker child that took the request, even under
// WSGIRestrictEmbedded On (as mod_wsgi 3.0 decided): each call is one exchange with the
// worker's in-process daemon (embedded_daemon.cpp), so Python is loaded only into workers
// that actually meet a hook.
#pragma once

#include <httpd.h>

#include "config/config.hpp"

namespace wsgid {

// Registers the authn provider "wsgi" and the authz provider "wsgi-group".
void register_hook_providers(apr_pool_t* p);

// check_access hook: WSGIAccessScript's allow_access(environ, host).
int check_access_script(request_rec* r);

// What WSGIDispatchScript's functions chose; nullptr keeps the configured value.
struct DispatchChoice {
  const char* process_group = nullptr;
  const char* application_group = nullptr;
  const char* callable_object = nullptr;
};

// Calls the dispatch script with r->subprocess_env (already filled in for the WSGI request).
// Returns OK, or an HTTP status (500) after logging why.
int run_dispatch_script(request_rec* r, const HookScript& h, DispatchChoice& choice);

}  // namespace wsgid
