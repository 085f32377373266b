// One plain HTTP/1.0 GET to a running wsgid, enough to read its health endpoints: no TLS, no
// redirects, no chunked bodies (an HTTP/1.0 request gets none), bounded by a deadline.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "profile/listen_address.hpp"

namespace wsgid::status {

struct HttpResponse {
  int status = 0;
  std::string body;
};

struct HttpResult {
  std::optional<HttpResponse> response;
  std::string error;  // why there is no response: "connection refused", "timed out", ...
};

// Where `wsgid status` connects for a listen address: wildcards are reached on loopback
// ("0.0.0.0:8080" and "*:8080" -> 127.0.0.1:8080, "[::]:8080" -> [::1]:8080).
profile::ListenAddress connect_address(const profile::ListenAddress& listen);

HttpResult http_get(const profile::ListenAddress& address, std::string_view path,
                    std::chrono::milliseconds timeout);

}  // namespace wsgid::status
