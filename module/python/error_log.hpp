// Lines in httpd's error-log format, written to fd 2 (the daemon group's error log):
//   [Sat Nov 21 05:28:50.123456 2026] [wsgid:error] [pid 123:tid 456] [client 1.2.3.4:5]
//   [request 7f3a...] message
// Each line goes out in one write(2), so lines from concurrent threads never interleave.
#pragma once

#include <string>
#include <string_view>

namespace wsgid::python {

enum class LogLevel { kEmerg, kAlert, kCrit, kError, kWarn, kNotice, kInfo, kDebug };

// The most verbose level written: httpd's LogLevel for the group's server, as the APLOG_*
// number the daemon spec carries (0 emerg .. 7 debug; out-of-range values are clamped). The
// WSGID_LOG_LEVEL environment variable ("debug", "info", ...) overrides it, for tests and for
// debugging one daemon without touching httpd's configuration.
void init_log_level(int aplog_level);

// Where lines go: `fd` (> 2, a non-blocking open of the log pipe; see wsgid_daemon_spec.log_fd)
// or fd 2. A line that finds the pipe full is dropped and counted; the count is logged
// (WSGID0561) before the next line that fits.
void set_log_fd(int fd);
bool log_enabled(LogLevel level);
LogLevel max_log_level();

// While one lives on a thread, every line that thread writes carries " [request <id>]" after
// the client, so an operator can grep all the lines of one request. `id` comes from the
// worker (the client's X-Request-ID or one it generated); characters that could forge or
// break a log line are replaced.
class RequestLogScope {
 public:
  explicit RequestLogScope(std::string_view id);
  ~RequestLogScope();
  RequestLogScope(const RequestLogScope&) = delete;
  RequestLogScope& operator=(const RequestLogScope&) = delete;
};
// The calling thread's request id ("" outside a request).
const std::string& current_request_id();

// `client` is "" or "127.0.0.1:5555", shown as httpd shows it: " [client 127.0.0.1:5555]".
void log_line(LogLevel level, std::string_view message, std::string_view client = {});
// The same with an explicit request id ("" for none) instead of the calling thread's.
void log_line_for(LogLevel level, std::string_view message, std::string_view client,
                  std::string_view request_id);
// Splits on newlines and writes one log line per line of text (tracebacks).
void log_text(LogLevel level, std::string_view text, std::string_view client = {});
void log_text_for(LogLevel level, std::string_view text, std::string_view client,
                  std::string_view request_id);

}  // namespace wsgid::python
