// The Python side of the hooks that run in httpd's worker children (WSGIAccessScript,
// WSGIAuthUserScript, WSGIAuthGroupScript, WSGIDispatchScript). The worker sends a hook call
// as an ordinary request to its in-process daemon (see contract/hook_protocol.hpp); this
// loads the hook script in the requested application group (reloading it in place when its
// file changed, as mod_wsgi does for hook scripts), calls the function with an environ of the
// request's variables and answers with the result as response headers.
#pragma once

#include <string_view>

#include "connection.hpp"
#include "wire_protocol.hpp"

namespace wsgid::python {

// Whether a request head is a hook call rather than a WSGI request.
bool is_hook_request(const wire::Pairs& head);

// Runs the hook call and writes its answer, ending it with kKeepAlive when the connection may
// carry another call (as a request's would). Call without the GIL. Failures in the hook are
// logged (WSGID0530-0532, WSGID050x for the script) and answered with status 500; a broken
// connection is thrown as ConnectionError, like the WSGI request path.
void serve_hook(Connection& conn, const wire::Pairs& head, std::string_view who);

}  // namespace wsgid::python
