// The worker side: maps URLs to WSGI scripts (translate_name) and hands each request to its
// daemon group over the framed protocol (handler). No Python here.
#pragma once

#include <httpd.h>

namespace wsgid {

int translate_script_alias(request_rec* r);
int handle_wsgi_request(request_rec* r);

// WSGIApplicationGroup's value for this request: %{GLOBAL} is "" (the main interpreter),
// %{SERVER} host[:port], %{RESOURCE} (and nullptr) host[:port]|SCRIPT_NAME, else the name.
const char* expand_application_group(request_rec* r, const char* group);

}  // namespace wsgid
