// The rendered config must be one httpd accepts: `apache2 -t` with the real mod_wsgid.so.
#include <gtest/gtest.h>

#include "render/render.hpp"
#include "render_fixture.hpp"
#include "supervise/httpd_command.hpp"
#include "temp_dir.hpp"

namespace wsgid::render {
namespace {

class ApacheAccepts : public ::testing::TestWithParam<std::string> {};

TEST_P(ApacheAccepts, TheRenderedConfigOfEachValidFixture) {
  wsgid::testing::TempDir out;
  const RenderOptions options{out.path(), WSGID_MODULE_PATH, true};
  write_files(render(wsgid::testing::load_valid_fixture(GetParam()), options), out.path());
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
  write_files(render(profile, options), out.path());
  const auto result = supervise::check_config(out.path() / "httpd.conf");
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

}  // namespace
}  // namespace wsgid::render
