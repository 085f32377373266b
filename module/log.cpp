#include "log.hpp"

#include <apr_strings.h>

#include <cstdarg>
#include <cstdio>

#include "config.hpp"

APLOG_USE_MODULE(wsgid);

namespace wsgid {

void log_server(const server_rec* s, int level, apr_status_t status, const char* code,
                const char* fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  ap_log_error(APLOG_MARK, level, status, s, "%s: %s", code, msg);
}

void log_request(const request_rec* r, int level, apr_status_t status, const char* code,
                 const char* fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  ap_log_rerror(APLOG_MARK, level, status, r, "%s: %s", code, msg);
}

}  // namespace wsgid
