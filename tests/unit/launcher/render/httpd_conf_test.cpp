#include "render/httpd_conf.hpp"

#include <gtest/gtest.h>

#include "render_fixture.hpp"

namespace wsgid::render {
namespace {

using wsgid::testing::load_valid_fixture;

const RenderOptions kOptions{"/run/w", "/m/mod_wsgid.so", true};

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(RenderHttpdConf, IsHardenedByDefault) {
  const auto text = render_httpd_conf(load_valid_fixture("minimal"), kOptions);
  for (const char* line :
       {"ServerTokens Prod", "ServerSignature Off", "TraceEnable Off", "WSGIRestrictEmbedded On",
        "WSGILazyInitialization On", "<Directory \"/\">", "    Require all denied",
        "LimitRequestBody 10485760", "LimitRequestFields 100", "LimitRequestFieldSize 8192",
        "RequestReadTimeout header=20,MinRate=500 body=20,MinRate=500",
        "LoadModule mpm_event_module \"/usr/lib/apache2/modules/mod_mpm_event.so\"",
        "LoadModule wsgid_module \"/m/mod_wsgid.so\"", "WSGISocketPrefix \"/run/w/run/wsgi\"",
        "PidFile \"/run/w/run/httpd.pid\""}) {
    EXPECT_TRUE(has_line(text, line)) << "missing: " << line << "\n" << text;
  }
}

TEST(RenderHttpdConf, LoadsStaticFileModulesOnlyWhenASiteServesStaticFiles) {
  const auto plain = render_httpd_conf(load_valid_fixture("minimal"), kOptions);
  EXPECT_EQ(plain.find("alias_module"), std::string::npos);
  const auto full = render_httpd_conf(load_valid_fixture("full"), kOptions);
  EXPECT_NE(full.find("LoadModule alias_module"), std::string::npos);
  EXPECT_NE(full.find("LoadModule mime_module"), std::string::npos);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// mod_headers serves static mounts, compression and trusted proxies: loaded once, or httpd
// warns at every start.
TEST(RenderHttpdConf, LoadsEachModuleOnceWhateverNeedsIt) {
  const auto full = render_httpd_conf(load_valid_fixture("full"), kOptions);
  EXPECT_EQ(count(full, "LoadModule headers_module"), 1U) << full;
  EXPECT_EQ(count(full, "LoadModule auth_basic_module"), 1U) << full;
  EXPECT_EQ(count(full, "LoadModule remoteip_module"), 1U) << full;
  EXPECT_EQ(count(full, "LoadModule brotli_module"), 1U) << full;
}

TEST(RenderHttpdConf, TrustsForwardedHeadersOnlyWhenTheProfileNamesProxies) {
  const auto plain = render_httpd_conf(load_valid_fixture("minimal"), kOptions);
  EXPECT_EQ(plain.find("remoteip"), std::string::npos);
  EXPECT_EQ(plain.find("X-Forwarded"), std::string::npos);
  const auto full = render_httpd_conf(load_valid_fixture("full"), kOptions);
  EXPECT_TRUE(has_line(full, "RemoteIPInternalProxy \"10.0.0.0/8\" \"192.0.2.7\" \"fd00::/8\""))
      << full;
}

TEST(RenderHttpdConf, PutsTheMisdirectingCatchAllBeforeEverySite) {
  auto profile = load_valid_fixture("two_sites");
  for (auto& site : profile.sites) site.is_default = false;
  const auto text = render_httpd_conf(profile, kOptions);
  const auto catch_all = text.find("ServerName \"unknown-host.invalid\"");
  const auto first_site = text.find("Include \"/run/w/sites/shop.conf\"");
  ASSERT_NE(catch_all, std::string::npos);
  ASSERT_NE(first_site, std::string::npos);
  EXPECT_LT(catch_all, first_site);
  EXPECT_LT(first_site, text.find("Include \"/run/w/sites/api.conf\""));
}

TEST(RenderHttpdConf, PutsTheDefaultSiteFirstInsteadOfTheCatchAll) {
  const auto text = render_httpd_conf(load_valid_fixture("two_sites"), kOptions);
  EXPECT_EQ(text.find("unknown-host.invalid"), std::string::npos) << text;
  const auto fallback = text.find("Include \"/run/w/sites/api.conf\"");
  ASSERT_NE(fallback, std::string::npos) << text;
  EXPECT_LT(fallback, text.find("Include \"/run/w/sites/shop.conf\""));
}

TEST(RenderHttpdConf, AnswersAnUnknownHost421NamingEveryHostName) {
  auto profile = load_valid_fixture("two_sites");
  for (auto& site : profile.sites) site.is_default = false;
  profile.sites[0].aliases = {"www.shop.example.com"};
  const auto text = render_httpd_conf(profile, kOptions);
  EXPECT_TRUE(has_line(text,
                       "    ErrorDocument 421 \"Misdirected Request: no site here answers for this "
                       "Host. Configured host names: shop.example.com, www.shop.example.com, "
                       "api.example.com.\""))
      << text;
}

TEST(RenderHttpdConf, AnswersHealthEndpointsInTheCatchAllAfterItsMisdirection) {
  const auto text = render_httpd_conf(load_valid_fixture("minimal"), kOptions);
  const auto deny = text.find("    <Location \"/\">\n        SetHandler wsgid-misdirected\n");
  const auto health = text.find("    <Location \"/-/healthz\">\n        SetHandler wsgid-health\n");
  ASSERT_NE(deny, std::string::npos) << text;
  ASSERT_NE(health, std::string::npos) << text;
  EXPECT_LT(deny, health);
  EXPECT_LT(health, text.find("</VirtualHost>"));
  EXPECT_TRUE(has_line(text,
                       "LoadModule authz_host_module "
                       "\"/usr/lib/apache2/modules/mod_authz_host.so\""));
}

TEST(RenderHttpdConf, NeedsNoHostAuthorizationWhenEveryHealthEndpointIsOff) {
  auto profile = load_valid_fixture("minimal");
  profile.server.health.liveness.clear();
  profile.server.health.readiness.clear();
  profile.server.health.metrics.clear();
  const auto text = render_httpd_conf(profile, kOptions);
  EXPECT_EQ(text.find("authz_host_module"), std::string::npos) << text;
  EXPECT_EQ(text.find("SetHandler wsgid-health"), std::string::npos) << text;
}

TEST(RenderHttpdConf, LogsTheRequestIdInEveryAccessLogFormat) {
  auto profile = load_valid_fixture("minimal");
  for (const auto format : {profile::AccessLogFormat::kCommon, profile::AccessLogFormat::kCombined,
                            profile::AccessLogFormat::kJson}) {
    profile.server.access_log = format;
    const auto text = render_httpd_conf(profile, kOptions);
    const auto line = text.substr(text.find("\nLogFormat "));
    EXPECT_NE(line.find("%{WSGID_REQUEST_ID}e"), std::string::npos) << line;
  }
  profile.server.access_log = profile::AccessLogFormat::kJson;
  EXPECT_NE(
      render_httpd_conf(profile, kOptions).find("\\\"request_id\\\":\\\"%{WSGID_REQUEST_ID}e\\\""),
      std::string::npos);
}

TEST(RenderHttpdConf, OmitsWsgiDirectivesWhenAskedTo) {
  RenderOptions options = kOptions;
  options.wsgi_directives = false;
  const auto text = render_httpd_conf(load_valid_fixture("minimal"), options);
  EXPECT_EQ(text.find("\nWSGI"), std::string::npos) << text;
}

TEST(VirtualHostAddresses, UsesAStarForWildcardsAndListsEachAddressOnce) {
  auto profile = load_valid_fixture("minimal");
  profile.server.listen = {{"", 80}, {"0.0.0.0", 80}, {"127.0.0.1", 81}, {"[::]", 82}};
  EXPECT_EQ(virtual_host_addresses(profile), "*:80 127.0.0.1:81 *:82");
}

}  // namespace
}  // namespace wsgid::render
