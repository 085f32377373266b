#include "log.hpp"

#include <cstdarg>
#include <cstdio>

#include "config/config.hpp"

APLOG_USE_MODULE(wsgid);

namespace wsgid {
namespace {

struct Message {
  char text[2048];
};

Message format(const char* fmt, va_list ap) {
  Message m;
  std::vsnprintf(m.text, sizeof(m.text), fmt, ap);
  return m;
}

}  // namespace

void log_server(const server_rec* s, int level, apr_status_t status, const char* code,
                const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const Message m = format(fmt, ap);
  va_end(ap);
  ap_log_error(APLOG_MARK, level, status, s, "%s: %s", code, m.text);
}

void log_request(const request_rec* r, int level, apr_status_t status, const char* code,
                 const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const Message m = format(fmt, ap);
  va_end(ap);
  ap_log_rerror(APLOG_MARK, level, status, r, "%s: %s", code, m.text);
}

}  // namespace wsgid
