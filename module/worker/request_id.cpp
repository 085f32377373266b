#include "request_id.hpp"

#include <apr_strings.h>
#include <http_protocol.h>
#include <httpd.h>

namespace wsgid {

bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '+' || c == '/' || c == '=' ||
                    c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

int assign_request_id(request_rec* r) {
  // Internal redirects and subrequests keep the id of the request they came from.
  const request_rec* origin = r;
  while (origin->prev) origin = origin->prev;
  while (origin->main) origin = origin->main;
  const char* id =
      origin != r ? apr_table_get(origin->subprocess_env, "WSGID_REQUEST_ID") : nullptr;
  if (!id) {
    const char* incoming = apr_table_get(r->headers_in, "X-Request-ID");
    if (incoming && acceptable_request_id(incoming)) {
      id = incoming;
    } else {
      unsigned char bytes[16];
      ap_random_insecure_bytes(bytes, sizeof(bytes));
      char* hex = static_cast<char*>(apr_palloc(r->pool, 2 * sizeof(bytes) + 1));
      static const char digits[] = "0123456789abcdef";
      for (std::size_t i = 0; i < sizeof(bytes); ++i) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 0xf];
      }
      hex[2 * sizeof(bytes)] = '\0';
      id = hex;
    }
  }
  apr_table_setn(r->subprocess_env, "WSGID_REQUEST_ID", id);
  apr_table_setn(r->err_headers_out, "X-Request-ID", id);
  return DECLINED;
}

}  // namespace wsgid
