// Interpreters: application groups as sub-interpreters, thread states kept per thread,
// preloading, python-path.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

#include "daemon_harness.hpp"
#include "python_abi.h"

namespace wsgid::test {
namespace {

constexpr const char* kCounterApp = R"(
import sys, threading
local = threading.local()
def application(environ, start_response):
    local.count = getattr(local, 'count', 0) + 1
    if not hasattr(sys, 'wsgid_marker'):
        sys.wsgid_marker = environ['mod_wsgi.application_group'] or 'main'
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%s %d' % (sys.wsgid_marker, local.count)).encode()]
)";

Pairs in_group(const std::string& app, const std::string& group) {
  return cgi(app, "GET", "/", {{"mod_wsgi.application_group", group}});
}

TEST(Interpreter, ThreadLocalDataSurvivesAcrossRequestsInEveryGroup) {
  TempDir dir;
  const auto app = dir.write("count.wsgi", kCounterApp);
  DaemonOptions options;
  options.threads = 1;
  Daemon daemon(dir, options);
  for (int i = 1; i <= 3; ++i) {
    auto main_client = daemon.connect();
    EXPECT_EQ(main_client.request(in_group(app, "")).body, "main " + std::to_string(i));
    auto sub_client = daemon.connect();
    EXPECT_EQ(sub_client.request(in_group(app, "sub")).body, "sub " + std::to_string(i));
  }
}

TEST(Interpreter, ApplicationGroupsAreIsolatedSubInterpreters) {
  TempDir dir;
  const auto app = dir.write("count.wsgi", kCounterApp);
  const auto probe = dir.write("probe.wsgi", R"(
import sys
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [repr(getattr(sys, 'wsgid_marker', None)).encode()]
)");
  Daemon daemon(dir);
  for (const std::string group : {"a", "b", ""}) {
    auto client = daemon.connect();
    const Response r = client.request(in_group(app, group));
    EXPECT_EQ(r.body.substr(0, r.body.find(' ')), group.empty() ? "main" : group);
  }
  // sys is per interpreter: each group sees only its own marker.
  for (const std::string group : {"a", "b", "", "fresh"}) {
    auto client = daemon.connect();
    const std::string expected =
        group == "fresh" ? "None" : "'" + (group.empty() ? std::string("main") : group) + "'";
    EXPECT_EQ(client.request(in_group(probe, group)).body, expected) << "group " << group;
  }
}

TEST(Interpreter, PreloadsRunBeforeTheFirstRequest) {
  TempDir dir;
  const auto import_script = dir.write("setup.py", R"(
import sys
sys.preloaded = 'import script ran'
print('preloading import script')
)");
  const auto app = dir.write("app.wsgi", R"(
import sys
print('loading app module in', sys.preloaded)
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [sys.preloaded.encode()]
)");
  DaemonOptions options;
  options.preloads = {{import_script, "", std::nullopt}, {app, "", "application"}};
  Daemon daemon(dir, options);
  ASSERT_TRUE(daemon.wait_for_log(" ready, "));
  const std::string log = daemon.log();
  const auto import_at = log.find("preloading import script");
  const auto app_at = log.find("loading app module in import script ran");
  const auto ready_at = log.find(" ready, ");
  EXPECT_LT(import_at, app_at);
  EXPECT_LT(app_at, ready_at);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "import script ran");
  // The preloaded module is reused: loaded once.
  const std::string after = daemon.log();
  EXPECT_EQ(after.find("loading app module", app_at + 1), std::string::npos);
}

TEST(Interpreter, PythonPathEntriesComeFirstInEveryGroup) {
  TempDir dir;
  ::mkdir((dir.str() + "/lib").c_str(), 0755);
  dir.write("lib/helper_mod.py", "VALUE = 'from python-path'\n");
  const auto app = dir.write("app.wsgi", R"(
import sys, helper_mod
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%s %s' % (helper_mod.VALUE, sys.path[0])).encode()]
)");
  DaemonOptions options;
  options.python_path = {dir.str() + "/lib"};
  Daemon daemon(dir, options);
  for (const std::string group : {"", "other"}) {
    auto client = daemon.connect();
    EXPECT_EQ(client.request(in_group(app, group)).body, "from python-path " + dir.str() + "/lib");
  }
}

}  // namespace
}  // namespace wsgid::test

namespace wsgid::test {
namespace {

TEST(Interpreter, VirtualenvHomeMakesSysPrefixTheVenv) {
  TempDir dir;
  const std::string venv = dir.str() + "/venv";
  ASSERT_EQ(std::system(("/usr/bin/python3 -m venv --without-pip " + venv).c_str()), 0);
  // lib/pythonX.Y as the venv made it: the embedded version, whichever the build chose.
  std::string site_packages;
  for (const auto& entry : std::filesystem::directory_iterator(venv + "/lib")) {
    site_packages = "venv/lib/" + entry.path().filename().string() + "/site-packages";
  }
  ASSERT_FALSE(site_packages.empty());
  dir.write(site_packages + "/venv_only_mod.py", "WHERE = 'venv'\n");
  const auto app = dir.write("app.wsgi", R"(
import sys, json, venv_only_mod
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%s|%s|%s' % (sys.prefix, sys.base_prefix, venv_only_mod.WHERE)).encode()]
)");
  DaemonOptions options;
  options.python_home = venv;
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, venv + "|/usr|venv");
}

TEST(Interpreter, BadPythonHomeIsAStartupFailure) {
  TempDir dir;
  DaemonOptions options;
  options.python_home = dir.str() + "/no-such-home";
  Daemon daemon(dir, options);
  const auto status = daemon.wait_exit();
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), WSGID_EXIT_STARTUP_FAILURE);
  EXPECT_NE(daemon.log().find("WSGID0513"), std::string::npos);
}

TEST(Interpreter, LangAndLocaleApply) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", R"(
import locale, os
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%s %s %s' % (os.environ.get('LANG'), os.environ.get('LC_ALL'),
                           locale.setlocale(locale.LC_CTYPE))).encode()]
)");
  DaemonOptions options;
  options.lang = "C.UTF-8";
  options.locale = "C.UTF-8";
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "C.UTF-8 C.UTF-8 C.UTF-8");
}

}  // namespace
}  // namespace wsgid::test

namespace wsgid::test {
namespace {

TEST(Interpreter, PlainPythonHomeIsUsedAsHome) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", R"(
import sys
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%s %s' % (sys.prefix, sys.argv)).encode()]
)");
  DaemonOptions options;
  options.python_home = "/usr";
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "/usr ['mod_wsgi']");
}

}  // namespace
}  // namespace wsgid::test
