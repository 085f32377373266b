#include "status_report.hpp"

#include <algorithm>
#include <cmath>

namespace wsgid::status {
namespace {

GroupStatus& group_named(std::vector<GroupStatus>& groups, std::string_view name) {
  const auto found = std::find_if(groups.begin(), groups.end(),
                                  [&](const GroupStatus& g) { return g.name == name; });
  if (found != groups.end()) return *found;
  groups.push_back({});
  groups.back().name = std::string(name);
  return groups.back();
}

std::int64_t count(double value) {
  return std::isfinite(value) ? static_cast<std::int64_t>(std::llround(value)) : 0;
}

std::string join_counts(const std::vector<std::pair<std::string, std::int64_t>>& counts) {
  if (counts.empty()) return "-";
  std::string out;
  for (const auto& [what, n] : counts) {
    out += (out.empty() ? "" : ", ") + what + " " + std::to_string(n);
  }
  return out;
}

}  // namespace

std::vector<GroupStatus> summarize(const std::vector<Sample>& samples) {
  std::vector<GroupStatus> groups;
  for (const Sample& s : samples) {
    const auto group = s.label("group");
    if (!group) continue;  // httpd-wide metrics
    const std::string_view state = s.label("state").value_or("");
    const std::int64_t n = count(s.value);
    if (s.name == "wsgid_daemon_processes") {
      GroupStatus& g = group_named(groups, *group);
      if (state == "ready") g.ready = n;
      if (state == "starting") g.starting = n;
      if (state == "draining") g.draining = n;
    } else if (s.name == "wsgid_daemon_threads") {
      GroupStatus& g = group_named(groups, *group);
      if (state == "busy") g.busy_threads = n;
      if (state == "idle") g.idle_threads = n;
    } else if (s.name == "wsgid_requests_total") {
      GroupStatus& g = group_named(groups, *group);
      const std::string_view c = s.label("class").value_or("");
      const bool is_class = c.size() == 3 && c[0] >= '1' && c[0] <= '5' && c.substr(1) == "xx";
      g.requests[is_class ? static_cast<std::size_t>(c[0] - '0') : 0] += n;
    } else if (s.name == "wsgid_daemon_restarts_total" && n > 0) {
      group_named(groups, *group)
          .restarts.emplace_back(std::string(s.label("cause").value_or("unknown")), n);
    } else if (s.name == "wsgid_gateway_errors_total" && n > 0) {
      const std::string status(s.label("status").value_or("5xx"));
      group_named(groups, *group)
          .gateway_errors.emplace_back(status + " " + std::string(s.label("cause").value_or("")),
                                       n);
    }
  }
  return groups;
}

std::string format_table(const std::vector<GroupStatus>& groups) {
  if (groups.empty()) return "no daemon groups\n";
  std::vector<std::array<std::string, 6>> rows{{"group", "processes ready/starting/draining",
                                                "threads busy/idle", "requests 1xx/2xx/3xx/4xx/5xx",
                                                "restarts", "5xx by cause"}};
  for (const GroupStatus& g : groups) {
    const auto& r = g.requests;
    std::string requests = std::to_string(r[1]);
    for (std::size_t c = 2; c <= 5; ++c) requests.append("/").append(std::to_string(r[c]));
    if (r[0] > 0) requests.append(" (+").append(std::to_string(r[0])).append(" other)");
    rows.push_back({g.name,
                    std::to_string(g.ready) + "/" + std::to_string(g.starting) + "/" +
                        std::to_string(g.draining),
                    std::to_string(g.busy_threads) + "/" + std::to_string(g.idle_threads), requests,
                    join_counts(g.restarts), join_counts(g.gateway_errors)});
  }
  std::array<std::size_t, 6> widths{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(widths[c] - row[c].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace wsgid::status
