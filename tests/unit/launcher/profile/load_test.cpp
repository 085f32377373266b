#include "profile/load.hpp"
#include "profile/python_home.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

namespace wsgid::profile {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

const fs::path kFixtures = WSGID_FIXTURES_DIR;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Diagnostics name the file as given and resolved paths absolutely; expected files hold them
// relative to the fixtures directory so they do not depend on where the tree is checked out.
std::string relative_to_fixtures(std::string text) {
  const std::string prefix = kFixtures.string() + "/";
  for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) {
    text.erase(at, prefix.size());
  }
  return text;
}

// The Python the build embeds (3.11 on Debian 12, 3.13 on Debian 13) is written as
// {embedded} / {embedded-python} in expected files, so they hold for every supported build.
std::string with_embedded_python_placeholders(std::string text) {
  const std::pair<std::string, std::string> replacements[] = {
      {"embeds Python " + embedded_python_version() + ":", "embeds Python {embedded}:"},
      {"(" + embedded_python_executable() + " -m venv", "({embedded-python} -m venv"}};
  for (const auto& [from, to] : replacements) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return text;
}

std::vector<std::string> invalid_fixtures() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kFixtures / "invalid")) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class InvalidProfile : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidProfile, ReportsExactlyTheExpectedDiagnostics) {
  const fs::path toml = kFixtures / "invalid" / (GetParam() + ".toml");
  const auto result = load_profile(toml.string());
  EXPECT_FALSE(result.profile);
  std::string actual;
  for (const auto& d : result.diagnostics)
    actual += with_embedded_python_placeholders(relative_to_fixtures(format(d))) + "\n";
  EXPECT_EQ(actual, read(kFixtures / "invalid" / (GetParam() + ".expected")));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, InvalidProfile, ::testing::ValuesIn(invalid_fixtures()));

TEST(LoadProfile, ReportsAnUnreadableFile) {
  const auto result = load_profile("/nonexistent/site.toml");
  ASSERT_EQ(result.diagnostics.size(), 1U);
  EXPECT_EQ(format(result.diagnostics[0]),
            "/nonexistent/site.toml: error WSGID1000: cannot read the profile file (No such file "
            "or directory); check that the path exists and is a readable file");
}

TEST(LoadProfile, RefusesADirectoryAndADevice) {
  EXPECT_EQ(format(load_profile("/").diagnostics.at(0)),
            "/: error WSGID1051: is a directory (a profile is read whole, so devices, FIFOs and "
            "sockets are refused); name the profile's .toml file");
  EXPECT_EQ(load_profile("/dev/null").diagnostics.at(0).code, "WSGID1051");
}

TEST(LoadProfile, FillsEveryDefaultForAMinimalProfile) {
  const auto result = load_profile((kFixtures / "valid" / "minimal.toml").string());
  ASSERT_TRUE(result.profile) << (result.diagnostics.empty() ? "" : format(result.diagnostics[0]));
  const Profile& p = *result.profile;
  EXPECT_EQ(p.file, kFixtures / "valid" / "minimal.toml");
  EXPECT_EQ(p.server.listen, (std::vector<ListenAddress>{{"0.0.0.0", 8080}}));
  EXPECT_EQ(p.server.server_name, "localhost");
  EXPECT_EQ(p.server.logs, LogTarget::kStdout);
  EXPECT_EQ(p.server.access_log, AccessLogFormat::kCombined);
  EXPECT_EQ(p.server.log_level, "warn");
  EXPECT_EQ(p.server.user, "www-data");
  EXPECT_EQ(p.server.graceful_stop_timeout, seconds(30));
  EXPECT_EQ(p.server.limits.request_body, 10U << 20);
  EXPECT_EQ(p.server.limits.header_fields, 100);
  EXPECT_EQ(p.server.limits.header_field_size, 8192U);
  EXPECT_EQ(p.server.limits.header_timeout, seconds(20));
  EXPECT_EQ(p.server.health.liveness, "/-/healthz");
  EXPECT_EQ(p.server.health.readiness, "/-/readyz");
  EXPECT_EQ(p.server.health.metrics, "/-/metrics");
  EXPECT_EQ(p.server.health.allow, (std::vector<std::string>{"127.0.0.0/8", "::1", "10.0.0.0/8",
                                                             "172.16.0.0/12", "192.168.0.0/16"}));
  ASSERT_EQ(p.sites.size(), 1U);
  const Site& s = p.sites[0];
  EXPECT_EQ(s.app.kind, App::Kind::kScript);
  EXPECT_EQ(s.app.script, kFixtures / "valid" / "apps" / "shop" / "wsgi.py");
  EXPECT_EQ(s.mount, "/");
  EXPECT_FALSE(s.python_home);
  EXPECT_EQ(s.daemon.processes, 1);
  EXPECT_EQ(s.daemon.threads, 15);
  EXPECT_EQ(s.daemon.maximum_requests, 0);
  EXPECT_FALSE(s.daemon.request_timeout);
  EXPECT_TRUE(s.sandbox.seccomp);
  EXPECT_EQ(s.sandbox.action, "errno");
}

TEST(LoadProfile, ReadsEveryKeyOfAFullProfile) {
  const auto result = load_profile((kFixtures / "valid" / "full.toml").string());
  ASSERT_TRUE(result.profile) << (result.diagnostics.empty() ? "" : format(result.diagnostics[0]));
  const Profile& p = *result.profile;
  const fs::path valid = kFixtures / "valid";
  EXPECT_EQ(p.server.listen,
            (std::vector<ListenAddress>{{"0.0.0.0", 8080}, {"127.0.0.1", 8081}, {"[::1]", 8082}}));
  EXPECT_EQ(p.server.logs, LogTarget::kDirectory);
  EXPECT_EQ(p.server.log_directory, valid / "logs");
  EXPECT_EQ(p.server.access_log, AccessLogFormat::kJson);
  EXPECT_EQ(p.server.graceful_stop_timeout, seconds(45));
  EXPECT_EQ(p.server.limits.request_body, 25U << 20);
  EXPECT_EQ(p.server.limits.request_line, 4096U);
  EXPECT_EQ(p.server.limits.timeout, seconds(120));
  EXPECT_EQ(p.server.limits.min_rate, 1000);
  EXPECT_EQ(p.server.raw_directives.size(), 2U);
  EXPECT_EQ(p.server.health.liveness, "/-/live");
  EXPECT_EQ(p.server.health.readiness, "/-/ready");
  EXPECT_EQ(p.server.health.metrics, "") << "\"off\" is an empty path";
  EXPECT_EQ(p.server.health.allow,
            (std::vector<std::string>{"127.0.0.1", "10.42.0.0/16", "fd00::/8"}));
  const Site& s = p.sites.at(0);
  EXPECT_EQ(s.aliases, (std::vector<std::string>{"www.shop.example.com", "*.shop.example.org"}));
  EXPECT_EQ(s.mount, "/shop");
  EXPECT_EQ(s.python_home, valid / "pyhome");
  EXPECT_EQ(s.python_path,
            (std::vector<fs::path>{valid / "apps" / "shop", valid / "apps" / "pkg"}));
  EXPECT_EQ(s.error_log, valid / "logs" / "shop-error.log");
  ASSERT_EQ(s.env.size(), 2U);
  EXPECT_EQ(s.env[0].first, "DJANGO_SETTINGS_MODULE");
  EXPECT_EQ(s.env[1].second, "it's \"quoted\" \\ ${HOME} %{GLOBAL}");
  ASSERT_EQ(s.statics.size(), 3U);  // sorted by URL path
  EXPECT_EQ(s.statics[0].url_path, "/shop/assets");
  EXPECT_EQ(s.statics[0].directory, valid / "apps" / "shop" / "static");
  EXPECT_EQ(s.statics[0].max_age, std::chrono::seconds(365 * 24 * 3600));
  EXPECT_TRUE(s.statics[0].immutable);
  EXPECT_EQ(s.statics[1].max_age, std::chrono::seconds(600));
  EXPECT_FALSE(s.statics[1].immutable);
  EXPECT_EQ(s.statics[2].url_path, "/shop/static");
  EXPECT_EQ(s.statics[2].directory, valid / "apps" / "shop" / "static");
  EXPECT_FALSE(s.statics[2].max_age);
  EXPECT_EQ(s.daemon.processes, 3);
  EXPECT_EQ(s.daemon.user, "nobody");
  EXPECT_EQ(s.daemon.maximum_requests, 10000);
  EXPECT_EQ(s.daemon.maximum_requests_jitter, 500);
  EXPECT_EQ(s.daemon.memory_limit, 512U << 20);
  EXPECT_EQ(s.daemon.request_timeout, seconds(60));
  EXPECT_EQ(s.daemon.inactivity_timeout, seconds(3600));
  EXPECT_EQ(s.daemon.cpu_time_limit, seconds(300));
  EXPECT_EQ(s.daemon.cpu_priority, 5);
  EXPECT_EQ(s.daemon.display_name, "shop-wsgi");
  EXPECT_EQ(s.sandbox.allow, (std::vector<std::string>{"@network-io"}));
  EXPECT_EQ(s.sandbox.deny, (std::vector<std::string>{"ptrace"}));
  EXPECT_EQ(s.sandbox.action, "kill");
}

TEST(LoadProfile, SplitsAModuleAppIntoModuleAndCallable) {
  const auto result = load_profile((kFixtures / "valid" / "two_sites.toml").string());
  ASSERT_TRUE(result.profile);
  const App& app = result.profile->sites.at(1).app;
  EXPECT_EQ(app.kind, App::Kind::kModule);
  EXPECT_EQ(app.module, "shopapp.web");
  EXPECT_EQ(app.callable, "app");
  EXPECT_FALSE(result.profile->sites.at(1).sandbox.seccomp);
}

TEST(LoadProfileText, ResolvesRelativePathsAgainstTheNamedFilesDirectory) {
  const auto result = load_profile_text(
      "[[site]]\nname = \"a\"\nserver_name = \"a.example\"\napp = \"apps/shop/wsgi.py\"\n",
      (kFixtures / "valid" / "inline.toml").string());
  ASSERT_TRUE(result.profile);
  EXPECT_EQ(result.profile->sites[0].app.script, kFixtures / "valid" / "apps/shop/wsgi.py");
}

}  // namespace
}  // namespace wsgid::profile
