#include "misdirected_handler.hpp"

#include <cstring>

#include "log.hpp"

namespace wsgid {

int handle_misdirected_request(request_rec* r) {
  if (!r->handler || std::strcmp(r->handler, "wsgid-misdirected") != 0) return DECLINED;
  // r->hostname has passed httpd's Host syntax check, so it is safe to log as is.
  log_request(r, APLOG_WARNING, 0, "WSGID0180",
              "Host \"%s\" (on local port %u) names no site of this server: answered 421; the "
              "response lists the configured host names",
              r->hostname ? r->hostname : "(none: HTTP/1.0 without Host)",
              static_cast<unsigned>(r->connection->local_addr->port));
  return HTTP_MISDIRECTED_REQUEST;
}

}  // namespace wsgid
