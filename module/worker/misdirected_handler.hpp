// 421 Misdirected Request for a Host header that names no site: what the launcher's catch-all
// vhost sets (SetHandler wsgid-misdirected), so a wrong Host is logged with a code and answered
// with the ErrorDocument that lists the host names that work.
#pragma once

#include <httpd.h>

namespace wsgid {

int handle_misdirected_request(request_rec* r);

}  // namespace wsgid
