// `wsgid run` end to end with the real httpd and mod_wsgid: readiness, SIGHUP with a broken and
// a changed profile, and SIGTERM while a request is in flight.
#include "supervise/supervisor.hpp"

#include <gtest/gtest.h>

#include <future>

#include "temp_dir.hpp"
#include "wsgid_process.hpp"

namespace wsgid::supervise {
namespace {

namespace fs = std::filesystem;
using wsgid::testing::eventually;
using wsgid::testing::free_port;
using wsgid::testing::http_get;
using wsgid::testing::WsgidRun;

constexpr std::string_view kApp = R"(import os, time
def application(environ, start_response):
    if environ.get("QUERY_STRING") == "slow":
        open(os.path.join(os.environ["MARKERS"], "slow-started"), "w").close()
        time.sleep(2)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("version=%s\n" % os.environ["VERSION"]).encode()]
)";

std::string profile_text(const fs::path& dir, std::string_view version) {
  return "[server]\ngraceful_stop_timeout = \"10s\"\n[[site]]\nname = \"sv\"\n"
         "server_name = \"localhost\"\napp = \"app.py\"\n"
         "sandbox = { seccomp = \"off\", write = [\"" +
         (dir / "markers").string() +
         "\"] }\n"
         "env = { VERSION = " +
         std::string(version) + ", MARKERS = \"" + (dir / "markers").string() + "\" }\n";
}

TEST(WsgidRun, ReloadsOnHupAndFinishesInFlightRequestsOnTerm) {
  wsgid::testing::TempDir temp;
  const fs::path dir = temp.path();
  // httpd's workers and the daemon run as www-data: they must reach the app and markers.
  fs::permissions(dir, fs::perms::all & ~fs::perms::group_write & ~fs::perms::others_write);
  fs::create_directory(dir / "markers");
  fs::permissions(dir / "markers", fs::perms::all);
  std::ofstream(dir / "app.py") << kApp;
  const fs::path profile = dir / "site.toml";
  std::ofstream(profile) << profile_text(dir, "\"1\"");
  const auto port = free_port();

  WsgidRun run(dir, profile, port);
  ASSERT_TRUE(eventually([&] { return run.out().find("wsgid: ready on") != std::string::npos; }))
      << run.err();
  EXPECT_TRUE(run.out().starts_with(
      "wsgid: ready on 127.0.0.1:" + std::to_string(port) +
      ": sv (localhost, daemon 1x15) at http://localhost:" + std::to_string(port) + "/; config "))
      << run.out();
  EXPECT_NE(http_get(port, "/").find("version=1"), std::string::npos);

  // A broken profile is reported and the running site keeps serving.
  std::ofstream(profile) << profile_text(dir, "1");
  run.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return run.err().find("keeping the running configuration") != std::string::npos;
  })) << run.err();
  EXPECT_NE(run.err().find("error WSGID1003: site[0].env.VERSION: expected a string, got "
                           "integer 1"),
            std::string::npos)
      << run.err();
  EXPECT_NE(http_get(port, "/").find("version=1"), std::string::npos);

  // A valid change is applied by a graceful restart.
  std::ofstream(profile) << profile_text(dir, "\"2\"");
  run.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return http_get(port, "/").find("version=2") != std::string::npos;
  })) << run.err();

  // SIGTERM while a 2-second request runs: it completes, then wsgid exits 0.
  auto slow = std::async(std::launch::async, [&] { return http_get(port, "/?slow"); });
  ASSERT_TRUE(eventually([&] { return fs::exists(dir / "markers" / "slow-started"); }))
      << run.err();
  run.signal(SIGTERM);
  const std::string response = slow.get();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK")) << response;
  EXPECT_NE(response.find("version=2"), std::string::npos) << response;
  EXPECT_EQ(run.wait_exit(), 0) << run.err();
  EXPECT_NE(run.err().find("wsgid: stopping gracefully (in-flight requests have 10 s)"),
            std::string::npos);
}

}  // namespace
}  // namespace wsgid::supervise
