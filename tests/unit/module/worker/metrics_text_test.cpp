#include "worker/metrics_text.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace wsgid {
namespace {

std::unique_ptr<wsgid_group_slot> group(const char* name) {
  auto g = std::make_unique<wsgid_group_slot>();
  std::memset(g.get(), 0, sizeof(*g));
  std::strncpy(g->name, name, sizeof(g->name) - 1);
  return g;
}

void process(wsgid_group_slot& g, int index, int state, int threads, int busy, int pid) {
  g.processes_slots[index].state = state;
  g.processes_slots[index].threads = threads;
  g.processes_slots[index].busy_threads = busy;
  g.processes_slots[index].pid = pid;
}

TEST(Readiness, NeedsAReadyProcessInEveryGroup) {
  auto a = group("a");
  auto b = group("b");
  process(*a, 0, WSGID_PROCESS_READY, 4, 0, 10);
  process(*b, 0, WSGID_PROCESS_STARTING, 4, 0, 11);
  const wsgid_group_slot* both[] = {a.get(), b.get()};
  EXPECT_FALSE(is_ready(both, false));
  process(*b, 1, WSGID_PROCESS_READY, 4, 0, 12);
  EXPECT_TRUE(is_ready(both, false));
  EXPECT_FALSE(is_ready(both, true)) << "a stopping httpd is never ready";
}

TEST(Readiness, JsonNamesEachGroupsState) {
  auto a = group("shop");
  process(*a, 0, WSGID_PROCESS_READY, 8, 3, 10);
  process(*a, 1, WSGID_PROCESS_DRAINING, 8, 1, 11);
  const wsgid_group_slot* groups[] = {a.get()};
  EXPECT_EQ(readiness_json(groups, false),
            "{\"ready\":true,\"stopping\":false,\"groups\":{\"shop\":{\"ready\":1,\"starting\":0,"
            "\"draining\":1,\"threads\":8,\"busy_threads\":3}}}\n");
}

TEST(Readiness, JsonNamesTheCauseWhileTheGroupCannotStart) {
  auto a = group("shop");
  process(*a, 0, WSGID_PROCESS_STARTING, 8, 0, 10);
  const std::string cause = "WSGID0514: loading 'a.wsgi' failed: WSGID0503: RuntimeError: \"no\"";
  wsgid_record_startup_failure(a.get(), cause.data(), cause.size(), 1234);
  char copy[WSGID_STARTUP_ERROR_MAX];
  EXPECT_EQ(wsgid_startup_failure(a.get(), copy, sizeof copy), 1234);
  EXPECT_EQ(std::string(copy), cause);
  const wsgid_group_slot* groups[] = {a.get()};
  EXPECT_EQ(readiness_json(groups, false),
            "{\"ready\":false,\"stopping\":false,\"groups\":{\"shop\":{\"ready\":0,\"starting\":1,"
            "\"draining\":0,\"threads\":0,\"busy_threads\":0,\"startup_error\":\"WSGID0514: "
            "loading 'a.wsgi' failed: WSGID0503: RuntimeError: \\\"no\\\"\"}}}\n");
  // Too long a cause is cut, still terminated.
  const std::string long_cause(1000, 'x');
  wsgid_record_startup_failure(a.get(), long_cause.data(), long_cause.size(), 5);
  EXPECT_EQ(wsgid_startup_failure(a.get(), copy, sizeof copy), 5);
  EXPECT_EQ(std::strlen(copy), std::size_t{WSGID_STARTUP_ERROR_MAX - 1});
  // Cleared (as a READY process does): no failure, no field.
  __atomic_store_n(&a->startup_failed_at_us, std::int64_t{0}, __ATOMIC_RELEASE);
  EXPECT_EQ(wsgid_startup_failure(a.get(), copy, sizeof copy), 0);
  EXPECT_EQ(readiness_json(groups, false).find("startup_error"), std::string::npos);
}

TEST(Prometheus, CountersHistogramsAndLabels) {
  auto g = group("we\"ird");
  process(*g, 0, WSGID_PROCESS_READY, 4, 1, 42);
  g->requests_by_class[2] = 37;
  g->requests_by_class[5] = 3;
  wsgid_histogram_observe(&g->duration, 3000);      // 3 ms: first bucket
  wsgid_histogram_observe(&g->duration, 20000000);  // 20 s: +Inf only
  g->restarts[WSGID_EXIT_CRASH] = 1;
  g->restarts[WSGID_EXIT_RESTART_INTERVAL] = 4;
  g->restarts[WSGID_EXIT_DEADLOCK] = 2;
  g->gateway_errors[WSGID_GATEWAY_DAEMON_DIED] = 1;
  const wsgid_group_slot* groups[] = {g.get()};
  const std::string text = prometheus_text(groups, WorkerCounts{2, 48},
                                           [](pid_t pid) { return pid == 42 ? 1024u : 0u; });
  const std::string l = "group=\"we\\\"ird\"";
  EXPECT_NE(text.find("wsgid_requests_total{" + l + ",class=\"2xx\"} 37\n"), std::string::npos);
  EXPECT_NE(text.find("wsgid_requests_total{" + l + ",class=\"5xx\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("wsgid_request_duration_seconds_bucket{" + l + ",le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsgid_request_duration_seconds_bucket{" + l + ",le=\"10\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsgid_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsgid_request_duration_seconds_count{" + l + "} 2\n"), std::string::npos);
  EXPECT_NE(text.find("wsgid_request_duration_seconds_sum{" + l + "} 20.003\n"), std::string::npos);
  EXPECT_NE(text.find("wsgid_daemon_restarts_total{" + l + ",cause=\"crash\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsgid_daemon_restarts_total{" + l + ",cause=\"restart_interval\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsgid_daemon_restarts_total{" + l + ",cause=\"deadlock\"} 2\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("wsgid_gateway_errors_total{" + l + ",status=\"502\",cause=\"daemon_died\"} 1\n"),
      std::string::npos);
  EXPECT_NE(text.find("wsgid_daemon_threads{" + l + ",state=\"busy\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("wsgid_daemon_threads{" + l + ",state=\"idle\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("wsgid_daemon_resident_memory_bytes{" + l + ",pid=\"42\"} 1024\n"),
            std::string::npos);
  EXPECT_NE(text.find("wsgid_httpd_workers{state=\"idle\"} 48\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE wsgid_queue_wait_seconds histogram\n"), std::string::npos);
}

TEST(Prometheus, BuildInfoNamesTheEmbeddedPython) {
  const std::string text =
      prometheus_text({}, WorkerCounts{0, 0}, [](pid_t) { return std::uint64_t{0}; });
  EXPECT_TRUE(std::regex_search(
      text,
      std::regex(R"(\nwsgid_build_info\{version="[0-9.]+",python="3\.1[1-3]\.[0-9]+"\} 1\n)")))
      << text;
}

TEST(Histogram, BucketsByUpperBoundInclusive) {
  EXPECT_EQ(wsgid_histogram_bucket(0), 0);
  EXPECT_EQ(wsgid_histogram_bucket(5000), 0);
  EXPECT_EQ(wsgid_histogram_bucket(5001), 1);
  EXPECT_EQ(wsgid_histogram_bucket(10000000), WSGID_HISTOGRAM_BUCKETS - 2);
  EXPECT_EQ(wsgid_histogram_bucket(10000001), WSGID_HISTOGRAM_BUCKETS - 1);
}

}  // namespace
}  // namespace wsgid
