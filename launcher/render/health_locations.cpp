#include "health_locations.hpp"

#include "directive_arg.hpp"
#include "profile/client_network.hpp"

namespace wsgid::render {
namespace {

void location(ConfWriter& w, const std::string& path, std::string_view handler,
              const std::string& require) {
  if (path.empty()) return;  // "off"
  w.open("Location", directive_arg(path));
  w.directive("SetHandler", handler);
  w.directive("Require", require);
  w.close("Location");
}

}  // namespace

void health_locations(ConfWriter& w, const profile::Health& health) {
  if (!health.any()) return;
  std::string require = "ip";
  for (const auto& network : health.allow) {
    if (network == profile::kEveryClient) {
      require = "all granted";
      break;
    }
    require.append(" ").append(directive_arg(network));
  }
  w.comment("Health endpoints, answered by mod_wsgid in httpd's workers without Python.");
  location(w, health.liveness, "wsgid-health", require);
  location(w, health.readiness, "wsgid-ready", require);
  location(w, health.metrics, "wsgid-metrics", require);
}

}  // namespace wsgid::render
