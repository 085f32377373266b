#include "status/status_report.hpp"

#include <gtest/gtest.h>

namespace wsgid::status {
namespace {

// What mod_wsgid's metrics endpoint writes for two groups after a known history (abridged:
// the histograms are left out, summarize() ignores them).
constexpr std::string_view kMetrics =
    "# TYPE wsgid_daemon_processes gauge\n"
    "wsgid_daemon_processes{group=\"shop\",state=\"starting\"} 1\n"
    "wsgid_daemon_processes{group=\"shop\",state=\"ready\"} 2\n"
    "wsgid_daemon_processes{group=\"shop\",state=\"draining\"} 0\n"
    "wsgid_daemon_processes{group=\"api\",state=\"starting\"} 0\n"
    "wsgid_daemon_processes{group=\"api\",state=\"ready\"} 0\n"
    "wsgid_daemon_processes{group=\"api\",state=\"draining\"} 1\n"
    "wsgid_daemon_threads{group=\"shop\",state=\"busy\"} 3\n"
    "wsgid_daemon_threads{group=\"shop\",state=\"idle\"} 13\n"
    "wsgid_daemon_threads{group=\"api\",state=\"busy\"} 0\n"
    "wsgid_daemon_threads{group=\"api\",state=\"idle\"} 0\n"
    "wsgid_requests_total{group=\"shop\",class=\"other\"} 0\n"
    "wsgid_requests_total{group=\"shop\",class=\"1xx\"} 0\n"
    "wsgid_requests_total{group=\"shop\",class=\"2xx\"} 37\n"
    "wsgid_requests_total{group=\"shop\",class=\"3xx\"} 0\n"
    "wsgid_requests_total{group=\"shop\",class=\"4xx\"} 2\n"
    "wsgid_requests_total{group=\"shop\",class=\"5xx\"} 4\n"
    "wsgid_requests_total{group=\"api\",class=\"other\"} 1\n"
    "wsgid_requests_total{group=\"api\",class=\"2xx\"} 1200\n"
    "wsgid_request_duration_seconds_bucket{group=\"shop\",le=\"+Inf\"} 43\n"
    "wsgid_daemon_restarts_total{group=\"shop\",cause=\"crash\"} 1\n"
    "wsgid_daemon_restarts_total{group=\"shop\",cause=\"maximum_requests\"} 2\n"
    "wsgid_daemon_restarts_total{group=\"shop\",cause=\"reload\"} 0\n"
    "wsgid_daemon_restarts_total{group=\"api\",cause=\"crash\"} 0\n"
    "wsgid_gateway_errors_total{group=\"shop\",status=\"503\",cause=\"connect_failed\"} 0\n"
    "wsgid_gateway_errors_total{group=\"shop\",status=\"502\",cause=\"daemon_died\"} 1\n"
    "wsgid_gateway_errors_total{group=\"shop\",status=\"504\",cause=\"timeout\"} 2\n"
    "wsgid_httpd_workers{state=\"busy\"} 3\n";

std::vector<GroupStatus> summarized() {
  const auto parsed = parse_prometheus_text(kMetrics);
  EXPECT_EQ(parsed.error, "");
  return summarize(parsed.samples);
}

TEST(Summarize, CollectsEachGroupsFigures) {
  const auto groups = summarized();
  ASSERT_EQ(groups.size(), 2U);
  const GroupStatus& shop = groups[0];
  EXPECT_EQ(shop.name, "shop");
  EXPECT_EQ(shop.ready, 2);
  EXPECT_EQ(shop.starting, 1);
  EXPECT_EQ(shop.draining, 0);
  EXPECT_EQ(shop.busy_threads, 3);
  EXPECT_EQ(shop.idle_threads, 13);
  EXPECT_EQ(shop.requests, (std::array<std::int64_t, 6>{0, 0, 37, 0, 2, 4}));
  EXPECT_EQ(shop.restarts, (std::vector<std::pair<std::string, std::int64_t>>{
                               {"crash", 1}, {"maximum_requests", 2}}));
  EXPECT_EQ(shop.gateway_errors, (std::vector<std::pair<std::string, std::int64_t>>{
                                     {"502 daemon_died", 1}, {"504 timeout", 2}}));
  EXPECT_EQ(groups[1].name, "api");
  EXPECT_EQ(groups[1].draining, 1);
  EXPECT_EQ(groups[1].requests[0], 1);
}

TEST(FormatTable, AlignsOneLinePerGroup) {
  EXPECT_EQ(format_table(summarized()),
            "group  processes ready/starting/draining  threads busy/idle  "
            "requests 1xx/2xx/3xx/4xx/5xx  restarts                     5xx by cause\n"
            "shop   2/1/0                              3/13               "
            "0/37/0/2/4                    crash 1, maximum_requests 2  "
            "502 daemon_died 1, 504 timeout 2\n"
            "api    0/0/1                              0/0                "
            "0/1200/0/0/0 (+1 other)       -                            -\n");
}

TEST(FormatTable, SaysSoWhenThereAreNoGroups) { EXPECT_EQ(format_table({}), "no daemon groups\n"); }

}  // namespace
}  // namespace wsgid::status
