#include "render/site_conf.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "render_fixture.hpp"

namespace wsgid::render {
namespace {

using wsgid::testing::load_valid_fixture;

const RenderOptions kOptions{"/run/w", "/m/mod_wsgid.so", true};

TEST(RenderSite, DeclaresTheDaemonGroupInsideTheSitesVirtualHost) {
  const auto profile = load_valid_fixture("full");
  const auto text = render_site(profile.sites[0], profile, kOptions).at(0).content;
  const auto vhost = text.find("<VirtualHost");
  const auto daemon = text.find("WSGIDaemonProcess");
  const auto end = text.find("</VirtualHost>");
  EXPECT_LT(vhost, daemon);
  EXPECT_LT(text.find("ErrorLog"), daemon);
  EXPECT_LT(daemon, end);
}

TEST(RenderSite, AnswersTheHealthEndpointsInTheSitesVirtualHost) {
  const auto profile = load_valid_fixture("minimal");
  const auto text = render_site(profile.sites[0], profile, kOptions).at(0).content;
  for (const char* handler : {"wsgid-health", "wsgid-ready", "wsgid-metrics"}) {
    const auto at = text.find(std::string("SetHandler ") + handler);
    ASSERT_NE(at, std::string::npos) << handler << "\n" << text;
    EXPECT_LT(at, text.find("</VirtualHost>"));
  }
}

TEST(RenderSite, ImportsTheEnvironmentBeforeTheAppWithBothGroupsLiteral) {
  const auto profile = load_valid_fixture("two_sites");
  const auto files = render_site(profile.sites[1], profile, kOptions);
  const auto& text = files.at(0).content;
  const auto import = text.find(
      "WSGIImportScript \"/run/w/sites/api.env.py\" \"process-group=api\" "
      "\"application-group=%{GLOBAL}\"");
  const auto alias = text.find(
      "WSGIScriptAlias \"/\" \"/run/w/sites/api.wsgi\" \"process-group=api\" "
      "\"application-group=%{GLOBAL}\"");
  ASSERT_NE(import, std::string::npos) << text;
  ASSERT_NE(alias, std::string::npos) << text;
  EXPECT_LT(import, alias);
}

TEST(RenderSite, GeneratesAOneLineScriptForAModuleApp) {
  const auto profile = load_valid_fixture("two_sites");
  const auto files = render_site(profile.sites[1], profile, kOptions);
  ASSERT_EQ(files.at(1).relative, "sites/api.wsgi");
  EXPECT_NE(files[1].content.find("from shopapp.web import app as application\n"),
            std::string::npos);
}

TEST(RenderSite, WritesEnvironmentValuesAsPythonLiterals) {
  const auto profile = load_valid_fixture("full");
  const auto files = render_site(profile.sites[0], profile, kOptions);
  const auto env = std::find_if(files.begin(), files.end(),
                                [](const auto& f) { return f.relative == "sites/shop.env.py"; });
  ASSERT_NE(env, files.end());
  EXPECT_NE(
      env->content.find("os.environ['QUOTED'] = 'it\\'s \"quoted\" \\\\ ${HOME} %{GLOBAL}'\n"),
      std::string::npos)
      << env->content;
}

TEST(DaemonProcessArguments, QuotesEachOptionAsOneToken) {
  auto profile = load_valid_fixture("minimal");
  auto site = profile.sites[0];
  site.python_home = "/srv/with space/${HOME}";
  site.sandbox.seccomp = false;
  EXPECT_EQ(daemon_process_arguments(site, "/run/w"),
            "\"shop\" \"processes=1\" \"threads=15\" \"display-name=%{GROUP}\" "
            "\"python-home=/srv/with space/${WSGID_DOLLAR}{HOME}\" \"lang=C.UTF-8\" "
            "\"locale=C.UTF-8\"");
}

TEST(DaemonProcessArguments, PointsAtTheCompiledSeccompFilter) {
  const auto profile = load_valid_fixture("minimal");
  EXPECT_NE(daemon_process_arguments(profile.sites[0], "/run/w")
                .find("\"seccomp-filter=/run/w/seccomp/shop.bpf\""),
            std::string::npos);
}

}  // namespace
}  // namespace wsgid::render
