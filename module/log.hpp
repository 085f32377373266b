// Logging with stable codes (docs/errors.md): every line the module writes about a failure
// starts with its WSGIDnnnn code so operators can look it up.
#pragma once

#include <httpd.h>
#include <http_log.h>

namespace wsgid {

void log_server(const server_rec* s, int level, apr_status_t status, const char* code,
                const char* fmt, ...) __attribute__((format(printf, 5, 6)));
void log_request(const request_rec* r, int level, apr_status_t status, const char* code,
                 const char* fmt, ...) __attribute__((format(printf, 5, 6)));

}  // namespace wsgid
