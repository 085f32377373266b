#include "render/site_conf.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon_options.hpp"
#include "render_fixture.hpp"

namespace wsgid::render {
namespace {

using wsgid::testing::load_valid_fixture;

const RenderOptions kOptions{"/run/w", "/m/mod_wsgid.so", true};

// The site's file at `relative`, rendered for its first site; fails the test when there is none.
RenderedFile first_site_file(const char* fixture, const std::string& relative) {
  const auto profile = load_valid_fixture(fixture);
  const auto files = render_site(profile.sites[0], profile, kOptions);
  const auto file = std::find_if(files.begin(), files.end(),
                                 [&](const auto& f) { return f.relative == relative; });
  EXPECT_NE(file, files.end()) << relative;
  return file == files.end() ? RenderedFile{} : *file;
}

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

TEST(RenderSite, HandsTheEnvironmentToTheDaemonsThroughAnEnvFileNotAScript) {
  const auto profile = load_valid_fixture("two_sites");
  const auto files = render_site(profile.sites[1], profile, kOptions);
  const auto& text = files.at(0).content;
  EXPECT_NE(text.find("\"env-file=/run/w/sites/api.env\""), std::string::npos) << text;
  EXPECT_EQ(text.find("WSGIImportScript"), std::string::npos) << text;
  EXPECT_NE(text.find("WSGIScriptAlias \"/\" \"/run/w/sites/api.wsgi\" \"process-group=api\" "
                      "\"application-group=%{GLOBAL}\""),
            std::string::npos)
      << text;
}

TEST(RenderSite, GeneratesAOneLineScriptForAModuleApp) {
  const auto profile = load_valid_fixture("two_sites");
  const auto files = render_site(profile.sites[1], profile, kOptions);
  ASSERT_EQ(files.at(1).relative, "sites/api.wsgi");
  EXPECT_NE(files[1].content.find("from shopapp.web import app as application\n"),
            std::string::npos);
}

TEST(RenderSite, WritesEnvironmentValuesVerbatimAsNulTerminatedRecordsAfterHomeAndTmpdir) {
  const auto env = first_site_file("full", "sites/shop.env");
  using namespace std::string_literals;
  EXPECT_EQ(env.content,
            "HOME=/run/w/home/shop\0TMPDIR=/run/w/tmp/shop\0"
            "DJANGO_SETTINGS_MODULE=shop.settings\0"
            "QUOTED=it's \"quoted\" \\ ${HOME} %{GLOBAL}\0"s);
  // Read by httpd's parent before the drop: no site owns it.
  EXPECT_EQ(env.read_by_site, "");
}

TEST(RenderSite, GivesAModuleAppsScriptToItsSitesDaemons) {
  const auto profile = load_valid_fixture("two_sites");
  const auto files = render_site(profile.sites[1], profile, kOptions);
  for (const auto& file : files) {
    EXPECT_EQ(file.read_by_site, file.relative == "sites/api.wsgi" ? "api" : "") << file.relative;
  }
}

TEST(DaemonProcessArguments, QuotesEachOptionAsOneToken) {
  auto profile = load_valid_fixture("minimal");
  auto site = profile.sites[0];
  site.python_home = "/srv/with space/${HOME}";
  site.sandbox.seccomp.base = sandbox::kBaseOff;
  site.sandbox.filesystem = false;
  EXPECT_EQ(daemon_process_arguments(site, kOptions),
            "\"shop\" \"processes=1\" \"home=/run/w/home/shop\" "
            "\"env-file=/run/w/sites/shop.env\" \"settings-file=/run/w/sites/shop.daemon\" "
            "\"python-home=/srv/with space/${WSGID_DOLLAR}{HOME}\" \"sandbox-filesystem=off\"");
}

std::string settings_text(const profile::Site& site) {
  std::string text;
  for (const auto& [name, value] : daemon_settings(site)) text += name + "=" + value + " ";
  return text;
}

TEST(DaemonSettings, KeepWhatOnlyTheDaemonReadsOutOfHttpdConf) {
  auto site = load_valid_fixture("minimal").sites[0];
  site.daemon.threads = 7;
  site.daemon.maximum_requests = 500;
  site.daemon.maximum_requests_jitter = 50;
  site.daemon.request_timeout = profile::Seconds(30);
  site.daemon.socket_timeout = profile::Seconds(40);
  site.daemon.memory_limit = 256u << 20;
  site.python_path = {"/srv/a", "/srv/b"};
  EXPECT_EQ(settings_text(site),
            "threads=7 display-name=%{GROUP} python-path=/srv/a:/srv/b lang=C.UTF-8 "
            "locale=C.UTF-8 maximum-requests=500 maximum-requests-jitter=50 "
            "request-timeout=30 memory-limit=268435456 ");
  const auto args = daemon_process_arguments(site, kOptions);
  for (const char* daemon_only : {"threads=", "maximum-requests", "request-timeout=",
                                  "memory-limit=", "python-path=", "lang=", "display-name="}) {
    EXPECT_EQ(args.find(daemon_only), std::string::npos) << daemon_only << " in " << args;
  }
  // The workers apply it too: it stays where a change restarts httpd.
  EXPECT_NE(args.find("\"socket-timeout=40\""), std::string::npos) << args;
}

// The module refuses a settings-file option its table does not mark reloadable (WSGID0617):
// everything the launcher writes there must be one, or the site would not start.
TEST(DaemonSettings, HoldOnlyOptionsTheModulesTableMarksReloadable) {
  auto site = load_valid_fixture("full").sites[0];
  site.daemon.maximum_requests = 500;
  site.daemon.maximum_requests_jitter = 50;
  site.daemon.graceful_timeout = profile::Seconds(10);
  site.daemon.shutdown_timeout = profile::Seconds(10);
  site.daemon.request_timeout = profile::Seconds(30);
  site.daemon.queue_timeout = profile::Seconds(30);
  site.daemon.inactivity_timeout = profile::Seconds(30);
  site.daemon.cpu_time_limit = profile::Seconds(30);
  site.daemon.cpu_priority = 5;
  site.daemon.memory_limit = 256u << 20;
  site.python_path = {"/srv/a"};
  const auto settings = daemon_settings(site);
  EXPECT_GE(settings.size(), 14U);
  for (const auto& setting : settings) {
    const auto* spec = daemon_option::find(setting.name);
    ASSERT_NE(spec, nullptr) << setting.name;
    EXPECT_TRUE(spec->reloadable) << setting.name;
  }
}

TEST(DaemonSettings, AreNulTerminatedRecordsInTheSitesSettingsFile) {
  const auto file = first_site_file("minimal", "sites/shop.daemon");
  EXPECT_EQ(file.content, std::string("threads=15\0display-name=%{GROUP}\0lang=C.UTF-8\0"
                                      "locale=C.UTF-8\0",
                                      61));
  EXPECT_EQ(file.read_by_site, "");  // the httpd parent reads it, before any fork
}

TEST(DaemonProcessArguments, PointsAtTheCompiledSeccompFilter) {
  const auto profile = load_valid_fixture("minimal");
  EXPECT_NE(daemon_process_arguments(profile.sites[0], kOptions)
                .find("\"seccomp-filter=/run/w/seccomp/shop.bpf\""),
            std::string::npos);
}

RenderOptions privileged(const profile::Profile& profile) {
  RenderOptions options = kOptions;
  options.identities.privileged = true;
  for (const auto& site : profile.sites) {
    options.identities.sites[site.name] = {800100, 800100, site.daemon.user.empty()};
  }
  return options;
}

TEST(DaemonProcessArguments, RunsASiteWithoutAUserAsItsOwnNumericUidWhenPrivileged) {
  const auto profile = load_valid_fixture("minimal");
  const auto args = daemon_process_arguments(profile.sites[0], privileged(profile));
  EXPECT_NE(args.find("\"user=#800100\" \"group=#800100\""), std::string::npos) << args;
}

TEST(DaemonProcessArguments, KeepsTheUserTheProfileNamesWhenPrivileged) {
  const auto profile = load_valid_fixture("full");
  const auto args = daemon_process_arguments(profile.sites[0], privileged(profile));
  EXPECT_NE(args.find("\"user=nobody\" \"group=nogroup\""), std::string::npos) << args;
  EXPECT_EQ(args.find("#800100"), std::string::npos) << args;
}

TEST(DaemonSettings, LeaveLangToAProfileWhoseEnvSetsIt) {
  auto site = load_valid_fixture("minimal").sites[0];
  EXPECT_NE(settings_text(site).find("lang=C.UTF-8 "), std::string::npos);
  site.env = {{"LANG", "de_DE.UTF-8"}};
  const auto text = settings_text(site);
  EXPECT_EQ(text.find("lang="), std::string::npos) << text;
  EXPECT_NE(text.find("locale=C.UTF-8 "), std::string::npos) << text;
}

TEST(DaemonProcessArguments, NamesNoUserWhenNotPrivileged) {
  const auto profile = load_valid_fixture("minimal");
  EXPECT_EQ(daemon_process_arguments(profile.sites[0], kOptions).find("user="), std::string::npos);
}

TEST(DaemonProcessArguments, ScopesTheFilesystemToTheAppDirectoryAndTheProfilesLists) {
  auto site = load_valid_fixture("minimal").sites[0];
  site.app.script = "/srv/shop/app/wsgi.py";
  site.sandbox.read = {"/srv/shop/media", "/etc/shop"};
  site.sandbox.write = {"/srv/shop/uploads"};
  const auto args = daemon_process_arguments(site, kOptions);
  EXPECT_NE(args.find("\"sandbox-filesystem=on\" "
                      "\"sandbox-read=/srv/shop/app:/srv/shop/media:/etc/shop\" "
                      "\"sandbox-write=/srv/shop/uploads\""),
            std::string::npos)
      << args;
}

TEST(DaemonProcessArguments, LearningModeLogsInsteadOfEnforcing) {
  auto site = load_valid_fixture("minimal").sites[0];
  site.sandbox.seccomp.action = sandbox::Policy::Action::kLog;
  const auto args = daemon_process_arguments(site, kOptions);
  EXPECT_NE(args.find("\"sandbox-filesystem=log\""), std::string::npos) << args;
  EXPECT_NE(args.find("\"seccomp-notify=log\""), std::string::npos) << args;
}

TEST(DaemonProcessArguments, GrantsNoDirectoryForAModuleAppBeyondItsPythonPath) {
  const auto profile = load_valid_fixture("two_sites");
  const auto args = daemon_process_arguments(profile.sites[1], kOptions);
  EXPECT_NE(args.find("\"sandbox-filesystem=on\""), std::string::npos) << args;
  EXPECT_EQ(args.find("sandbox-read="), std::string::npos) << args;
}

}  // namespace
}  // namespace wsgid::render
