// Every request carries an id: the client's X-Request-ID when it is sane, else a new one. It is
// in the environment as WSGID_REQUEST_ID (access logs: %{WSGID_REQUEST_ID}e), goes to the
// daemon as mod_wsgi.request_id (the app's log lines carry it), and back as X-Request-ID.
#pragma once

#include <httpd.h>

#include <string_view>

namespace wsgid {

int assign_request_id(request_rec* r);  // post_read_request hook

// An incoming id is kept only if it is 1-128 characters of [A-Za-z0-9._:+/=@-]: it is logged
// and echoed, so nothing that could forge log lines or headers passes.
bool acceptable_request_id(std::string_view id);

}  // namespace wsgid
