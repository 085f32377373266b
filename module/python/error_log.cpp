#include "error_log.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace wsgid::python {
namespace {

std::atomic<int> g_max_level{static_cast<int>(LogLevel::kNotice)};

thread_local std::string t_request_id;

constexpr const char* kLevelNames[] = {"emerg", "alert",  "crit", "error",
                                       "warn",  "notice", "info", "debug"};

std::atomic<int> g_log_fd{2};
std::atomic<std::uint64_t> g_dropped{0};

// On the non-blocking pipe a line either goes in whole (up to PIPE_BUF) or not at all; a longer
// line that finds the pipe filling waits at most kFinishLineMs for the rest, so nobody holding
// the GIL waits on the log's reader for long. False: not written (the caller counts it).
constexpr int kFinishLineMs = 100;

bool write_all(int fd, const char* data, std::size_t len) {
  bool started = false;
  while (len > 0) {
    const ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && started) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, kFinishLineMs) > 0) continue;
      }
      return false;  // full, or nowhere left to report a failing error log
    }
    started = true;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void init_log_level(int aplog_level) {
  g_max_level = std::clamp(aplog_level, 0, static_cast<int>(LogLevel::kDebug));
  const char* env = std::getenv("WSGID_LOG_LEVEL");
  if (env == nullptr) return;
  for (int i = 0; i < static_cast<int>(std::size(kLevelNames)); ++i) {
    if (std::strcmp(env, kLevelNames[i]) == 0) g_max_level = i;
  }
}

bool log_enabled(LogLevel level) { return static_cast<int>(level) <= g_max_level.load(); }

LogLevel max_log_level() { return static_cast<LogLevel>(g_max_level.load()); }

RequestLogScope::RequestLogScope(std::string_view id) {
  constexpr std::size_t kMaxLength = 128;
  t_request_id.assign(id.substr(0, kMaxLength));
  // Spaces, brackets and control characters could end the field early or forge a new line.
  for (char& c : t_request_id) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '[' || c == ']') c = '_';
  }
}

RequestLogScope::~RequestLogScope() { t_request_id.clear(); }

const std::string& current_request_id() { return t_request_id; }

void log_line(LogLevel level, std::string_view message, std::string_view client) {
  log_line_for(level, message, client, t_request_id);
}

void log_line_for(LogLevel level, std::string_view message, std::string_view client,
                  std::string_view request_id) {
  if (!log_enabled(level)) return;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm local{};
  localtime_r(&now.tv_sec, &local);
  char stamp[96];
  // httpd's own layout: ctime-like, with microseconds before the year.
  char day_time[32];
  strftime(day_time, sizeof day_time, "%a %b %d %H:%M:%S", &local);
  std::snprintf(stamp, sizeof stamp, "[%s.%06ld %d] ", day_time, now.tv_nsec / 1000,
                local.tm_year + 1900);
  std::string line;
  line.reserve(message.size() + 128);
  line += stamp;
  line += "[wsgid:";
  line += kLevelNames[static_cast<int>(level)];
  line += "] [pid ";
  line += std::to_string(::getpid());
  line += ":tid ";
  line += std::to_string(static_cast<long>(::syscall(SYS_gettid)));
  line += "] ";
  if (!client.empty()) {
    line += "[client ";
    line += client;
    line += "] ";
  }
  if (!request_id.empty()) {
    line += "[request ";
    line += request_id;
    line += "] ";
  }
  line += message;
  line += '\n';
  const int fd = g_log_fd.load(std::memory_order_relaxed);
  if (const std::uint64_t dropped = g_dropped.load(std::memory_order_relaxed); dropped > 0) {
    // The reader caught up: say first how much is missing, so the gap is visible in the log.
    const std::string notice =
        std::string(stamp) + "[wsgid:warn] [pid " + std::to_string(::getpid()) +
        "] WSGID0561: " + std::to_string(dropped) +
        " log lines of this daemon were dropped: its error log is a pipe whose reader fell "
        "behind (a piped logger or a container's log driver)\n";
    if (!write_all(fd, notice.data(), notice.size())) {
      g_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    g_dropped.fetch_sub(dropped, std::memory_order_relaxed);
  }
  if (!write_all(fd, line.data(), line.size())) g_dropped.fetch_add(1, std::memory_order_relaxed);
}

void set_log_fd(int fd) { g_log_fd.store(fd > 2 ? fd : 2, std::memory_order_relaxed); }

void log_text(LogLevel level, std::string_view text, std::string_view client) {
  log_text_for(level, text, client, t_request_id);
}

void log_text_for(LogLevel level, std::string_view text, std::string_view client,
                  std::string_view request_id) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    log_line_for(level, text.substr(0, nl), client, request_id);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace wsgid::python
