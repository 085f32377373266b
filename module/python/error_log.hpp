// Lines in httpd's error-log format, written to fd 2 (the daemon group's error log):
//   [Sat Nov 21 05:28:50.123456 2026] [wsgid:error] [pid 123:tid 456] message
// Each line goes out in one write(2), so lines from concurrent threads never interleave.
#pragma once

#include <string_view>

namespace wsgid::python {

enum class LogLevel { kEmerg, kAlert, kCrit, kError, kWarn, kNotice, kInfo, kDebug };

// The most verbose level written; read once from WSGID_LOG_LEVEL (default "notice"), because
// the daemon spec does not carry httpd's LogLevel.
void init_log_level();
bool log_enabled(LogLevel level);

// `client` is "" or "127.0.0.1:5555", shown as httpd shows it: " [client 127.0.0.1:5555]".
void log_line(LogLevel level, std::string_view message, std::string_view client = {});
// Splits on newlines and writes one log line per line of text (tracebacks).
void log_text(LogLevel level, std::string_view text, std::string_view client = {});

}  // namespace wsgid::python
