#include "metrics_text.hpp"

#include <cstdio>
#include <cstring>
#include <string_view>

namespace wsgid {
namespace {

template <typename T>
T load(const T& v) {
  return __atomic_load_n(&v, __ATOMIC_RELAXED);
}

// Label values escape backslash, double quote and newline (the exposition format's rules).
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// JSON strings: group names are plain, but escape anyway.
std::string json_string(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string name_of(const wsgid_group_slot& g) {
  return std::string(g.name, strnlen(g.name, sizeof(g.name)));
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void sample(std::string& out, const char* name, const std::string& labels, double value) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  out += name;
  out += '{';
  out += labels;
  out += "} ";
  out += buf;
  out += '\n';
}

void histogram(std::string& out, const char* name, const std::string& group_label,
               const wsgid_histogram& h) {
  static constexpr std::uint64_t kBounds[] = WSGID_HISTOGRAM_BOUNDS_US;
  std::uint64_t cumulative = 0;
  for (int i = 0; i < WSGID_HISTOGRAM_BUCKETS; ++i) {
    cumulative += load(h.buckets[i]);
    char le[32];
    if (i < WSGID_HISTOGRAM_BUCKETS - 1) {
      std::snprintf(le, sizeof(le), "%g", static_cast<double>(kBounds[i]) / 1e6);
    } else {
      std::snprintf(le, sizeof(le), "+Inf");
    }
    const std::string bucket = std::string(name) + "_bucket";
    sample(out, bucket.c_str(), group_label + ",le=\"" + le + "\"",
           static_cast<double>(cumulative));
  }
  sample(out, (std::string(name) + "_sum").c_str(), group_label,
         static_cast<double>(load(h.sum_us)) / 1e6);
  sample(out, (std::string(name) + "_count").c_str(), group_label,
         static_cast<double>(load(h.count)));
}

constexpr const char* kExitCauses[WSGID_EXIT_REASONS] = {
    "crash",   "startup_failed", "maximum_requests", "request_timeout", "inactivity_timeout",
    "reload",  "shutdown",       "cpu_time_limit",   "memory_limit",    "restart_interval",
    "deadlock"};

struct GatewayCause {
  const char* status;
  const char* cause;
};
constexpr GatewayCause kGatewayCauses[WSGID_GATEWAY_ERRORS] = {
    {"503", "connect_failed"}, {"502", "daemon_died"}, {"502", "protocol"}, {"504", "timeout"}};

}  // namespace

GroupState group_state(const wsgid_group_slot& slot) {
  GroupState s;
  for (const wsgid_process_slot& p : slot.processes_slots) {
    switch (load(p.state)) {
      case WSGID_PROCESS_STARTING:
        ++s.starting;
        break;
      case WSGID_PROCESS_READY:
        ++s.ready;
        s.threads += load(p.threads);
        s.busy_threads += load(p.busy_threads);
        break;
      case WSGID_PROCESS_DRAINING:
        ++s.draining;
        break;
      default:
        break;
    }
  }
  return s;
}

bool is_ready(std::span<const wsgid_group_slot* const> groups, bool stopping) {
  if (stopping) return false;
  for (const wsgid_group_slot* g : groups) {
    if (!g || group_state(*g).ready == 0) return false;
  }
  return true;
}

std::string readiness_json(std::span<const wsgid_group_slot* const> groups, bool stopping) {
  std::string out = "{\"ready\":";
  out += is_ready(groups, stopping) ? "true" : "false";
  out += ",\"stopping\":";
  out += stopping ? "true" : "false";
  out += ",\"groups\":{";
  bool first = true;
  for (const wsgid_group_slot* g : groups) {
    if (!g) continue;
    const GroupState s = group_state(*g);
    if (!first) out += ',';
    first = false;
    char buf[192];
    std::snprintf(buf, sizeof(buf),
                  ":{\"ready\":%d,\"starting\":%d,\"draining\":%d,\"threads\":%d,"
                  "\"busy_threads\":%d",
                  s.ready, s.starting, s.draining, s.threads, s.busy_threads);
    out += json_string(name_of(*g));
    out += buf;
    // Why no process can start, while the last start failed: what an operator looks for first.
    char cause[WSGID_STARTUP_ERROR_MAX];
    if (wsgid_startup_failure(g, cause, sizeof cause) != 0) {
      out += ",\"startup_error\":";
      out += json_string(cause);
    }
    out += '}';
  }
  out += "}}\n";
  return out;
}

std::string prometheus_text(std::span<const wsgid_group_slot* const> groups,
                            const WorkerCounts& workers,
                            const std::function<std::uint64_t(pid_t)>& rss_bytes) {
  std::string out;
  auto for_groups = [&](auto&& fn) {
    for (const wsgid_group_slot* g : groups) {
      if (g) fn(*g, "group=\"" + label(name_of(*g)) + "\"");
    }
  };

  family(out, "wsgid_build_info", "gauge",
         "The mod_wsgid build: its version and the CPython it embeds.");
  sample(out, "wsgid_build_info",
         "version=\"" WSGID_VERSION "\",python=\"" WSGID_PYTHON_VERSION_FULL "\"", 1);
  family(out, "wsgid_daemon_processes", "gauge", "Daemon processes of the group by state.");
  for_groups([&](const wsgid_group_slot& g, const std::string& l) {
    const GroupState s = group_state(g);
    sample(out, "wsgid_daemon_processes", l + ",state=\"starting\"", s.starting);
    sample(out, "wsgid_daemon_processes", l + ",state=\"ready\"", s.ready);
    sample(out, "wsgid_daemon_processes", l + ",state=\"draining\"", s.draining);
  });
  family(out, "wsgid_daemon_threads", "gauge",
         "Request threads of the group's ready processes, busy in a request or idle.");
  for_groups([&](const wsgid_group_slot& g, const std::string& l) {
    const GroupState s = group_state(g);
    sample(out, "wsgid_daemon_threads", l + ",state=\"busy\"", s.busy_threads);
    sample(out, "wsgid_daemon_threads", l + ",state=\"idle\"", s.threads - s.busy_threads);
  });
  family(out, "wsgid_requests_total", "counter", "Requests answered, by HTTP status class.");
  for_groups([&](const wsgid_group_slot& g, const std::string& l) {
    static const char* kClasses[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int c = 0; c < 6; ++c) {
      sample(out, "wsgid_requests_total", l + ",class=\"" + kClasses[c] + "\"",
             static_cast<double>(load(g.requests_by_class[c])));
    }
  });
  family(out, "wsgid_request_duration_seconds", "histogram",
         "Time from request arrival to the end of the response, as httpd's worker saw it.");
  for_groups([&](const wsgid_group_slot& g, const std::string& l) {
    histogram(out, "wsgid_request_duration_seconds", l, g.duration);
  });
  family(out, "wsgid_queue_wait_seconds", "histogram",
         "Time a request waited between the worker connecting and a daemon thread accepting it.");
  for_groups([&](const wsgid_group_slot& g, const std::string& l) {
    histogram(out, "wsgid_queue_wait_seconds", l, g.queue_wait);
  });
  family(out, "wsgid_daemon_restarts_total", "counter",
         "Daemon processes that ended and were replaced, by cause.");
  for_groups([&](const wsgid_group_slot& g, const std::string& l) {
    for (int c = 0; c < WSGID_EXIT_REASONS; ++c) {
      sample(out, "wsgid_daemon_restarts_total", l + ",cause=\"" + kExitCauses[c] + "\"",
             static_cast<double>(load(g.restarts[c])));
    }
  });
  family(out, "wsgid_gateway_errors_total", "counter",
         "5xx responses produced by mod_wsgid itself, by status and cause (see docs/errors.md).");
  for_groups([&](const wsgid_group_slot& g, const std::string& l) {
    for (int c = 0; c < WSGID_GATEWAY_ERRORS; ++c) {
      sample(out, "wsgid_gateway_errors_total",
             l + ",status=\"" + kGatewayCauses[c].status + "\",cause=\"" + kGatewayCauses[c].cause +
                 "\"",
             static_cast<double>(load(g.gateway_errors[c])));
    }
  });
  family(out, "wsgid_daemon_resident_memory_bytes", "gauge",
         "Resident memory of each daemon process.");
  for_groups([&](const wsgid_group_slot& g, const std::string& l) {
    for (const wsgid_process_slot& p : g.processes_slots) {
      const pid_t pid = load(p.pid);
      if (load(p.state) == WSGID_PROCESS_EMPTY || pid <= 0) continue;
      sample(out, "wsgid_daemon_resident_memory_bytes", l + ",pid=\"" + std::to_string(pid) + "\"",
             static_cast<double>(rss_bytes(pid)));
    }
  });
  family(out, "wsgid_httpd_workers", "gauge", "httpd worker threads, busy or idle.");
  sample(out, "wsgid_httpd_workers", "state=\"busy\"", workers.busy);
  sample(out, "wsgid_httpd_workers", "state=\"idle\"", workers.idle);
  return out;
}

}  // namespace wsgid
