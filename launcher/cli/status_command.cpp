#include <chrono>
#include <ostream>

#include "commands.hpp"
#include "exit_code.hpp"
#include "profile_loading.hpp"
#include "status/http_get.hpp"
#include "status/prometheus_text.hpp"
#include "status/status_report.hpp"

namespace wsgid::cli {
namespace {

// Health endpoints answer from httpd's workers without queueing behind the app, so a slow
// answer means httpd itself is in trouble.
constexpr std::chrono::seconds kTimeout{5};

struct Fetched {
  std::optional<status::HttpResponse> response;
  bool reported = false;  // the failure was already explained on err
};

// GETs `path`, explaining on `err` why there is no usable answer.
Fetched fetch(const profile::ListenAddress& listen, const std::string& path,
              const std::string& file, std::ostream& err) {
  const std::string where = status::connect_address(listen).to_string();
  auto result = status::http_get(listen, path, kTimeout);
  if (!result.response) {
    err << "wsgid: cannot reach wsgid at " << where << " (GET " << path << "): " << result.error
        << "; is `wsgid run " << file << "` running there?\n";
    return {std::nullopt, true};
  }
  if (result.response->status == 403) {
    err << "wsgid: " << where << " refused GET " << path << " (403): the address wsgid status "
        << "connects from is not in server.health.allow\n";
    return {std::nullopt, true};
  }
  return {std::move(result.response), false};
}

std::string not_ready_reason(bool stopping, const std::vector<status::GroupStatus>& groups) {
  if (stopping) return " (httpd is stopping)";
  std::string waiting;
  for (const auto& group : groups) {
    if (group.ready == 0) waiting += (waiting.empty() ? "" : ", ") + group.name;
  }
  return waiting.empty() ? "" : " (no process accepting yet in: " + waiting + ")";
}

}  // namespace

int status_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  const std::string file = args.operands.front();
  const Loaded loaded = load_for_command(file, args, err);
  if (!loaded.profile) return loaded.exit_code;
  const auto& health = loaded.profile->server.health;
  const profile::ListenAddress listen = loaded.profile->server.listen.front();
  const std::string where = status::connect_address(listen).to_string();
  if (health.readiness.empty() && health.metrics.empty()) {
    err << "wsgid: " << file
        << " turns off both server.health.readiness and server.health.metrics; wsgid status "
           "has nothing to ask\n";
    return kRuntimeFailure;
  }

  std::optional<bool> ready;
  bool stopping = false;
  if (!health.readiness.empty()) {
    const Fetched readiness = fetch(listen, health.readiness, file, err);
    if (!readiness.response) return kRuntimeFailure;
    const int code = readiness.response->status;
    if (code != 200 && code != 503) {
      err << "wsgid: " << where << " answered GET " << health.readiness << " with " << code
          << ", not a readiness answer; is another server listening there?\n";
      return kRuntimeFailure;
    }
    ready = code == 200;
    stopping = readiness.response->body.find("\"stopping\":true") != std::string::npos;
  }

  std::optional<std::vector<status::GroupStatus>> groups;
  if (!health.metrics.empty()) {
    const Fetched metrics = fetch(listen, health.metrics, file, err);
    if (!metrics.response) return kRuntimeFailure;
    if (metrics.response->status != 200) {
      err << "wsgid: " << where << " answered GET " << health.metrics << " with "
          << metrics.response->status << ", not metrics; is another server listening there?\n";
      return kRuntimeFailure;
    }
    const auto parsed = status::parse_prometheus_text(metrics.response->body);
    if (!parsed.error.empty()) {
      err << "wsgid: the answer to GET " << health.metrics << " from " << where
          << " is not Prometheus text: " << parsed.error << "\n";
      return kRuntimeFailure;
    }
    groups = status::summarize(parsed.samples);
    if (!ready) {
      // Without the readiness endpoint: ready when every group has a process accepting.
      ready = !groups->empty();
      for (const auto& group : *groups) ready = *ready && group.ready > 0;
    }
  }

  out << "wsgid at " << where << ": " << (*ready ? "ready" : "not ready");
  if (!*ready)
    out << not_ready_reason(stopping, groups.value_or(std::vector<status::GroupStatus>{}));
  out << "\n";
  if (groups) {
    out << "\n" << status::format_table(*groups);
  } else {
    out << "server.health.metrics is off: no per-group figures\n";
  }
  return *ready ? kOk : kRuntimeFailure;
}

}  // namespace wsgid::cli
