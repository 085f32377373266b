// The rendered config must be one httpd accepts: `apache2 -t` with the real mod_wsgid.so.
#include <gtest/gtest.h>
#include <unistd.h>

#include "render/render.hpp"
#include "render_fixture.hpp"
#include "supervise/httpd_command.hpp"
#include "temp_dir.hpp"

namespace wsgid::render {
namespace {

// write_files creates the logs: keep them out of the source tree's fixtures.
void logs_into(profile::Profile& profile, const std::filesystem::path& dir) {
  profile.server.log_directory = dir;
  for (auto& site : profile.sites) {
    if (site.error_log) site.error_log = dir / site.error_log->filename();
  }
}

class ApacheAccepts : public ::testing::TestWithParam<std::string> {};

TEST_P(ApacheAccepts, TheRenderedConfigOfEachValidFixture) {
  wsgid::testing::TempDir out;
  const RenderOptions options{out.path(), WSGID_MODULE_PATH, true};
  auto profile = wsgid::testing::load_valid_fixture(GetParam());
  logs_into(profile, out.path());
  write_files(profile, render(profile, options), options);
  const auto result = supervise::check_config(out.path() / "httpd.conf");
  EXPECT_EQ(result.exit_status, 0) << result.output;
  EXPECT_NE(result.output.find("Syntax OK"), std::string::npos) << result.output;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ApacheAccepts,
                         ::testing::Values("minimal", "full", "two_sites"));

TEST(ApacheAccepts, AValueThatTriesToInjectADirective) {
  auto profile = wsgid::testing::load_valid_fixture("minimal");
  profile.sites[0].daemon.display_name = "x\" Listen \"9";
  profile.sites[0].mount = "/a\"b ${HOME}";
  wsgid::testing::TempDir out;
  const RenderOptions options{out.path(), WSGID_MODULE_PATH, true};
  write_files(profile, render(profile, options), options);
  const auto result = supervise::check_config(out.path() / "httpd.conf");
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

// Started as root, sites without a user get a uid no passwd entry names: httpd must take it.
TEST(ApacheAccepts, AUidWithoutAPasswdEntryForEachSite) {
  if (::geteuid() != 0) GTEST_SKIP() << "handing directories to other uids needs root";
  auto profile = wsgid::testing::load_valid_fixture("two_sites");
  wsgid::testing::TempDir out;
  RenderOptions options{out.path(), WSGID_MODULE_PATH, true};
  AccountLookup lookup = system_accounts();
  lookup.user = [](const std::string&) { return SiteIdentity{33, 33, false}; };
  options.identities = assign_identities(profile, lookup).identities;
  ASSERT_TRUE(options.identities.sites.at("shop").derived);
  write_files(profile, render(profile, options), options);
  const auto result = supervise::check_config(out.path() / "httpd.conf");
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

}  // namespace
}  // namespace wsgid::render
