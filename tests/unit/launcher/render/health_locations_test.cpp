#include "render/health_locations.hpp"

#include <gtest/gtest.h>

namespace wsgid::render {
namespace {

profile::Health defaults() {
  return {"/-/healthz", "/-/readyz", "/-/metrics", {"127.0.0.0/8", "::1"}};
}

std::string rendered(const profile::Health& health) {
  ConfWriter w;
  health_locations(w, health);
  return w.text();
}

TEST(HealthLocations, GiveEachEndpointItsHandlerAndTheAllowedClients) {
  EXPECT_EQ(rendered(defaults()),
            "# Health endpoints, answered by mod_wsgid in httpd's workers without Python.\n"
            "<Location \"/-/healthz\">\n"
            "    SetHandler wsgid-health\n"
            "    Require ip \"127.0.0.0/8\" \"::1\"\n"
            "</Location>\n"
            "<Location \"/-/readyz\">\n"
            "    SetHandler wsgid-ready\n"
            "    Require ip \"127.0.0.0/8\" \"::1\"\n"
            "</Location>\n"
            "<Location \"/-/metrics\">\n"
            "    SetHandler wsgid-metrics\n"
            "    Require ip \"127.0.0.0/8\" \"::1\"\n"
            "</Location>\n");
}

TEST(HealthLocations, LeaveOutAnEndpointThatIsOff) {
  auto health = defaults();
  health.readiness.clear();
  const auto text = rendered(health);
  EXPECT_EQ(text.find("wsgid-ready"), std::string::npos) << text;
  EXPECT_NE(text.find("wsgid-health"), std::string::npos) << text;
  EXPECT_NE(text.find("wsgid-metrics"), std::string::npos) << text;
}

TEST(HealthLocations, GrantEveryoneForAll) {
  const auto text = rendered({"/-/healthz", "", "", {"10.0.0.0/8", "all"}});
  EXPECT_NE(text.find("\n    Require all granted\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("Require ip"), std::string::npos) << text;
}

TEST(HealthLocations, RenderNothingWhenEveryEndpointIsOff) {
  EXPECT_EQ(rendered({"", "", "", {"127.0.0.1"}}), "");
}

}  // namespace
}  // namespace wsgid::render
