// `wsgid status`: its answers against canned servers, and end to end against `wsgid run` with
// the real httpd and mod_wsgid.
#include <gtest/gtest.h>

#include <future>

#include "canned_http_server.hpp"
#include "cli/cli.hpp"
#include "render_fixture.hpp"
#include "temp_dir.hpp"
#include "wsgid_process.hpp"

namespace wsgid::cli {
namespace {

namespace fs = std::filesystem;
using wsgid::testing::CannedHttpServer;
using wsgid::testing::eventually;
using wsgid::testing::free_port;
using wsgid::testing::http_get;
using wsgid::testing::kFixtures;
using wsgid::testing::WsgidRun;

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run status(const fs::path& profile, std::uint16_t port) {
  std::ostringstream out;
  std::ostringstream err;
  const std::vector<std::string> args{"status", profile.string(), "--listen",
                                      "127.0.0.1:" + std::to_string(port)};
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

const fs::path kMinimal = kFixtures / "valid" / "minimal.toml";

std::string http(int status, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

constexpr std::string_view kReadyJson =
    "{\"ready\":true,\"stopping\":false,\"groups\":{\"shop\":{\"ready\":1}}}\n";
constexpr std::string_view kMetrics =
    "wsgid_daemon_processes{group=\"shop\",state=\"ready\"} 1\n"
    "wsgid_daemon_threads{group=\"shop\",state=\"idle\"} 15\n"
    "wsgid_requests_total{group=\"shop\",class=\"2xx\"} 7\n";

TEST(StatusCommand, PrintsReadyAndTheGroupTableThenExitsZero) {
  CannedHttpServer server({http(200, kReadyJson), http(200, kMetrics)});
  const auto r = status(kMinimal, server.port());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "wsgid at 127.0.0.1:" + std::to_string(server.port()) +
                       ": ready\n\n"
                       "group  processes ready/starting/draining  threads busy/idle  "
                       "requests 1xx/2xx/3xx/4xx/5xx  restarts  5xx by cause\n"
                       "shop   1/0/0                              0/15               "
                       "0/7/0/0/0                     -         -\n");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_TRUE(requests[0].starts_with("GET /-/readyz HTTP/1.0\r\n")) << requests[0];
  EXPECT_TRUE(requests[1].starts_with("GET /-/metrics HTTP/1.0\r\n")) << requests[1];
}

TEST(StatusCommand, ExitsOneWhenNotReadyAndSaysWhichGroupsWait) {
  CannedHttpServer server(
      {http(503, "{\"ready\":false,\"stopping\":false}"),
       http(200, "wsgid_daemon_processes{group=\"shop\",state=\"starting\"} 1\n")});
  const auto r = status(kMinimal, server.port());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.starts_with("wsgid at 127.0.0.1:" + std::to_string(server.port()) +
                                ": not ready (no process accepting yet in: shop)\n"))
      << r.out;
}

TEST(StatusCommand, SaysWhenHttpdIsStopping) {
  CannedHttpServer server({http(503, "{\"ready\":false,\"stopping\":true}"), http(200, kMetrics)});
  const auto r = status(kMinimal, server.port());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.starts_with("wsgid at 127.0.0.1:" + std::to_string(server.port()) +
                                ": not ready (httpd is stopping)\n"))
      << r.out;
}

TEST(StatusCommand, ExplainsARefusal) {
  CannedHttpServer server({http(403, "Forbidden")});
  const auto r = status(kMinimal, server.port());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "wsgid: 127.0.0.1:" + std::to_string(server.port()) +
                       " refused GET /-/readyz (403): the address wsgid status connects from is "
                       "not in server.health.allow\n");
}

TEST(StatusCommand, ExplainsAnAnswerThatIsNotWsgids) {
  CannedHttpServer not_wsgid({http(404, "Not Found")});
  auto r = status(kMinimal, not_wsgid.port());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "wsgid: 127.0.0.1:" + std::to_string(not_wsgid.port()) +
                       " answered GET /-/readyz with 404, not a readiness answer; is another "
                       "server listening there?\n");
  CannedHttpServer garbled({http(200, kReadyJson), http(200, "<html>\n")});
  r = status(kMinimal, garbled.port());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "wsgid: the answer to GET /-/metrics from 127.0.0.1:" + std::to_string(garbled.port()) +
                " is not Prometheus text: line 1: expected a metric name\n");
}

TEST(StatusCommand, ExitsOneWhenNothingAnswers) {
  const auto port = free_port();
  const auto r = status(kMinimal, port);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "wsgid: cannot reach wsgid at 127.0.0.1:" + std::to_string(port) +
                       " (GET /-/readyz): Connection refused; is `wsgid run " + kMinimal.string() +
                       "` running there?\n");
}

TEST(StatusCommand, NeedsReadinessOrMetrics) {
  wsgid::testing::TempDir dir;
  const fs::path profile = dir.path() / "site.toml";
  std::ofstream(profile) << "[server.health]\nreadiness = \"off\"\nmetrics = \"off\"\n"
                            "[[site]]\nname = \"a\"\nserver_name = \"a.example\"\napp = \""
                         << (kFixtures / "valid" / "apps" / "shop" / "wsgi.py").string() << "\"\n";
  const auto r = status(profile, free_port());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "wsgid: " + profile.string() +
                       " turns off both server.health.readiness and server.health.metrics; "
                       "wsgid status has nothing to ask\n");
}

TEST(StatusCommand, JudgesReadinessFromTheMetricsWhenTheReadinessEndpointIsOff) {
  wsgid::testing::TempDir dir;
  const fs::path profile = dir.path() / "site.toml";
  std::ofstream(profile) << "[server.health]\nreadiness = \"off\"\n"
                            "[[site]]\nname = \"a\"\nserver_name = \"a.example\"\napp = \""
                         << (kFixtures / "valid" / "apps" / "shop" / "wsgi.py").string() << "\"\n";
  CannedHttpServer server({http(200, kMetrics)});
  const auto r = status(profile, server.port());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(
      r.out.starts_with("wsgid at 127.0.0.1:" + std::to_string(server.port()) + ": ready\n"))
      << r.out;
}

constexpr std::string_view kApp = R"(def application(environ, start_response):
    status = "500 Internal Server Error" if environ.get("QUERY_STRING") == "fail" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"from the app\n"]
)";

// The site is mounted at "/" and named site.test: any other Host reaches the catch-all vhost.
TEST(StatusCommand, EndToEndWithWsgidRun) {
  wsgid::testing::TempDir temp;
  const fs::path dir = temp.path();
  // httpd's workers and the daemon run as www-data: they must reach the app.
  fs::permissions(dir, fs::perms::all & ~fs::perms::group_write & ~fs::perms::others_write);
  std::ofstream(dir / "app.py") << kApp;
  const fs::path profile = dir / "site.toml";
  std::ofstream(profile) << "[[site]]\nname = \"st\"\nserver_name = \"site.test\"\n"
                            "app = \"app.py\"\nsandbox = { seccomp = \"off\" }\n";
  const auto port = free_port();
  WsgidRun run(dir, profile, port);
  ASSERT_TRUE(eventually([&] { return run.out().find("wsgid: ready on") != std::string::npos; }))
      << run.err();

  // Readiness may trail httpd's first accept by the daemon's start-up.
  ASSERT_TRUE(eventually([&] { return status(profile, port).code == 0; }))
      << status(profile, port).out << status(profile, port).err;

  // The endpoints answer through the site mounted at "/", and through the catch-all for a
  // Host naming no site (a probe's pod IP), which still refuses everything else.
  const std::string site = "Host: site.test\r\n";
  const std::string pod_ip = "Host: 10.1.2.3\r\n";
  for (const std::string& host : {site, pod_ip}) {
    const auto live = http_get(port, "/-/healthz", host);
    EXPECT_TRUE(live.starts_with("HTTP/1.1 200 ")) << live;
    EXPECT_TRUE(live.ends_with("\r\n\r\n{\"status\":\"ok\"}\n")) << live;
    const auto ready = http_get(port, "/-/readyz", host);
    EXPECT_TRUE(ready.starts_with("HTTP/1.1 200 ")) << ready;
    EXPECT_NE(ready.find("\"st\":{\"ready\":1"), std::string::npos) << ready;
    const auto metrics = http_get(port, "/-/metrics", host);
    EXPECT_NE(metrics.find("\nwsgid_daemon_processes{group=\"st\",state=\"ready\"} 1\n"),
              std::string::npos)
        << metrics;
  }
  EXPECT_TRUE(http_get(port, "/", pod_ip).starts_with("HTTP/1.1 421 ")) << run.err();

  // A known mix of requests, one carrying its own request id, then the table counts them.
  EXPECT_NE(http_get(port, "/", site + "X-Request-ID: status-test-1\r\n").find("from the app"),
            std::string::npos);
  EXPECT_NE(http_get(port, "/").find("421"), std::string::npos);  // catch-all, no group
  http_get(port, "/again", site);
  EXPECT_TRUE(http_get(port, "/?fail", site).starts_with("HTTP/1.1 500 "));
  // The last request's thread counts as busy until it has parked its worker connection, a
  // moment after the client has the response: wait for it to be idle again.
  const std::string row =
      "\nst     1/0/0                              0/15               "
      "0/2/0/0/1                     -         -\n";
  EXPECT_TRUE(eventually([&] {
    const auto r = status(profile, port);
    return r.code == 0 && r.out.find(row) != std::string::npos;
  })) << status(profile, port).out;
  EXPECT_TRUE(eventually([&] {
    return run.out().find("\"GET / HTTP/1.0\" 200 13 \"-\" \"-\" status-test-1 ") !=
           std::string::npos;
  })) << run.out();

  run.signal(SIGTERM);
  EXPECT_EQ(run.wait_exit(), 0) << run.err();
  const auto stopped = status(profile, port);
  EXPECT_EQ(stopped.code, 1);
  EXPECT_NE(stopped.err.find("Connection refused"), std::string::npos) << stopped.err;
}

}  // namespace
}  // namespace wsgid::cli
