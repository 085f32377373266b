// The daemon's entries in the shared scoreboard: state, busy threads, requests, exit reason
// and the group's queue-wait histogram, read from memory shared with the forked daemon.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon_harness.hpp"
#include "python_abi.h"

namespace wsgid::test {
namespace {

constexpr const char* kHelloApp = R"(
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'hello']
)";

// Answers only once the test has sent the request body.
constexpr const char* kSlowApp = R"(
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b'started;'
    yield environ['wsgi.input'].read()
)";

std::int64_t now_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

// Sends a request to kSlowApp and returns once the app has started answering it.
Client start_slow_request(const Daemon& daemon, const std::string& app) {
  Client client = daemon.connect();
  client.hello();
  client.head(cgi(app, "POST"));
  auto head = client.read_frame();
  EXPECT_TRUE(head && head->type == wire::FrameType::kResponseHead);
  auto first = client.read_frame();
  EXPECT_TRUE(first && first->payload == "started;");
  return client;
}

TEST(ProcessStatus, StaysStartingDuringPreloadsThenBecomesReady) {
  TempDir dir;
  const std::string fifo = dir.str() + "/go";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto preload = dir.write(
      "preload.py", "print('preload waiting', flush=True)\nopen('" + fifo + "').read()\n");
  SharedGroupSlot slot;
  DaemonOptions options;
  options.threads = 3;
  options.preloads = {{preload, "", std::nullopt}};
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  ASSERT_TRUE(daemon.wait_for_log("preload waiting"));
  // The preload is blocked on the FIFO: the daemon cannot be ready yet.
  EXPECT_EQ(slot.state(), WSGID_PROCESS_STARTING);
  EXPECT_EQ(slot.process()->pid, daemon.pid());
  EXPECT_EQ(slot.process()->threads, 3);
  {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ::close(fd);  // end of file: the preload finishes
  }
  EXPECT_TRUE(slot.wait_for([&] { return slot.state(); }, int{WSGID_PROCESS_READY}));
  const auto app = dir.write("app.wsgi", kHelloApp);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "hello");
  EXPECT_EQ(slot.state(), WSGID_PROCESS_READY);
}

TEST(ProcessStatus, BusyThreadsCountARunningRequestAndRequestsCountCompletedOnes) {
  TempDir dir;
  const auto app = dir.write("slow.wsgi", kSlowApp);
  SharedGroupSlot slot;
  DaemonOptions options;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  auto client = start_slow_request(daemon, app);
  EXPECT_TRUE(slot.wait_for([&] { return slot.busy_threads(); }, 1));
  EXPECT_EQ(slot.requests(), 0u);
  client.body("done");
  client.end();
  EXPECT_EQ(client.read_response().body, "done");
  EXPECT_TRUE(slot.wait_for([&] { return slot.requests(); }, std::uint64_t{1}));
  EXPECT_TRUE(slot.wait_for([&] { return slot.busy_threads(); }, 0));
  // A failing request counts too, and leaves no thread marked busy.
  const auto broken = dir.write("broken.wsgi", "def application(e, s):\n    raise KeyError\n");
  auto again = daemon.connect();
  EXPECT_EQ(again.request(cgi(broken)).status, 500);
  EXPECT_TRUE(slot.wait_for([&] { return slot.requests(); }, std::uint64_t{2}));
  EXPECT_TRUE(slot.wait_for([&] { return slot.busy_threads(); }, 0));
}

TEST(ProcessStatus, MaximumRequestsIsTheExitReasonOfARecycledProcess) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  SharedGroupSlot slot;
  DaemonOptions options;
  options.maximum_requests = 2;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  for (int i = 0; i < 2; ++i) {
    auto client = daemon.connect();
    EXPECT_EQ(client.request(cgi(app)).body, "hello");
  }
  ASSERT_TRUE(daemon.wait_exit());
  EXPECT_EQ(slot.state(), WSGID_PROCESS_DRAINING);  // the parent, not the daemon, empties it
  EXPECT_EQ(slot.exit_reason(), WSGID_EXIT_MAXIMUM_REQUESTS);
  EXPECT_EQ(slot.requests(), 2u);
  EXPECT_EQ(slot.busy_threads(), 0);
}

TEST(ProcessStatus, SigtermShowsDrainingBeforeInFlightRequestsFinish) {
  TempDir dir;
  const auto app = dir.write("slow.wsgi", kSlowApp);
  SharedGroupSlot slot;
  DaemonOptions options;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  auto client = start_slow_request(daemon, app);
  ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
  EXPECT_TRUE(slot.wait_for([&] { return slot.state(); }, int{WSGID_PROCESS_DRAINING}));
  EXPECT_EQ(slot.busy_threads(), 1);
  EXPECT_EQ(slot.exit_reason(), WSGID_EXIT_CRASH);  // not written until it exits
  client.body("finished");
  client.end();
  EXPECT_EQ(client.read_response().body, "finished");
  ASSERT_TRUE(daemon.wait_exit());
  EXPECT_EQ(slot.exit_reason(), WSGID_EXIT_SHUTDOWN);
  EXPECT_EQ(slot.requests(), 1u);
  EXPECT_EQ(slot.busy_threads(), 0);
}

TEST(ProcessStatus, InactivityTimeoutIsTheExitReasonOfAnIdleProcess) {
  TempDir dir;
  dir.write("app.wsgi", kHelloApp);
  SharedGroupSlot slot;
  DaemonOptions options;
  options.inactivity_timeout = 0.2;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  ASSERT_TRUE(daemon.wait_exit());
  EXPECT_EQ(slot.exit_reason(), WSGID_EXIT_INACTIVITY_TIMEOUT);
}

TEST(ProcessStatus, RequestTimeoutIsTheExitReasonOfAStuckProcess) {
  TempDir dir;
  const auto app = dir.write("stuck.wsgi", R"(
import threading
def application(environ, start_response):
    threading.Event().wait()
)");
  SharedGroupSlot slot;
  DaemonOptions options;
  options.request_timeout = 0.2;
  options.graceful_timeout = 0.2;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app));
  client.end();
  ASSERT_TRUE(daemon.wait_exit());
  EXPECT_EQ(slot.exit_reason(), WSGID_EXIT_REQUEST_TIMEOUT);
  EXPECT_EQ(slot.busy_threads(), 1);  // forced out mid-request: the parent resets the slot
}

TEST(ProcessStatus, ATouchedScriptIsTheExitReasonReload) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  SharedGroupSlot slot;
  DaemonOptions options;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  {
    auto client = daemon.connect();
    EXPECT_EQ(client.request(cgi(app)).body, "hello");
  }
  const timespec later[2] = {{0, UTIME_OMIT}, {::time(nullptr) + 100, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, app.c_str(), later, 0), 0);
  auto client = daemon.connect();
  EXPECT_TRUE(client.request(cgi(app)).ended);
  ASSERT_TRUE(daemon.wait_exit());
  EXPECT_EQ(slot.exit_reason(), WSGID_EXIT_RELOAD);
}

TEST(ProcessStatus, AFailedStartIsTheExitReasonStartupFailed) {
  TempDir dir;
  const auto bad = dir.write("bad.py", "raise RuntimeError('broken at import')\n");
  SharedGroupSlot slot;
  DaemonOptions options;
  options.preloads = {{bad, "", std::nullopt}};
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  ASSERT_TRUE(daemon.wait_exit());
  EXPECT_EQ(slot.exit_reason(), WSGID_EXIT_STARTUP_FAILED);
  EXPECT_EQ(slot.state(), WSGID_PROCESS_STARTING);
}

TEST(ProcessStatus, QueueWaitIsObservedForEachRequestThatSaysWhenItQueued) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  SharedGroupSlot slot;
  DaemonOptions options;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  {
    // Queued 30 ms before the connection was even made.
    const std::string queued = std::to_string(now_us() - 30'000);
    auto client = daemon.connect();
    EXPECT_EQ(client.request(cgi(app, "GET", "/", {{"mod_wsgi.queue_start", queued}})).body,
              "hello");
  }
  {
    auto client = daemon.connect();  // no queue_start: nothing to observe
    EXPECT_EQ(client.request(cgi(app)).body, "hello");
  }
  {
    // A worker clock ahead of ours counts as no wait, never as a huge unsigned one.
    const std::string future = std::to_string(now_us() + 10'000'000);
    auto client = daemon.connect();
    EXPECT_EQ(client.request(cgi(app, "GET", "/", {{"mod_wsgi.queue_start", future}})).body,
              "hello");
  }
  {
    auto client = daemon.connect();  // garbage is ignored
    EXPECT_EQ(client.request(cgi(app, "GET", "/", {{"mod_wsgi.queue_start", "soon"}})).body,
              "hello");
  }
  EXPECT_TRUE(slot.wait_for([&] { return slot.requests(); }, std::uint64_t{4}));
  const wsgid_histogram& h = slot.group()->queue_wait;
  EXPECT_EQ(slot.queue_wait_count(), 2u);
  EXPECT_GE(h.sum_us, 30'000u);
  EXPECT_LT(h.sum_us, 10'000'000u);
  EXPECT_EQ(h.buckets[0], 1u);  // the one from the future, as 0
  std::uint64_t total = 0;
  for (std::uint64_t b : h.buckets) total += b;
  EXPECT_EQ(total, 2u);
  EXPECT_EQ(h.buckets[wsgid_histogram_bucket(h.sum_us)], 1u);
}

// Each graceful limit leaves its own cause in the scoreboard, so the parent counts restarts by
// cause (wsgid_daemon_restarts_total{cause=...}).
struct LimitCase {
  const char* name;
  void (*set)(DaemonOptions&);
  int reason;
  const char* logged;
};

class RecyclingLimit : public ::testing::TestWithParam<LimitCase> {};

TEST_P(RecyclingLimit, RecyclesGracefullyWithItsOwnExitReason) {
  TempDir dir;
  dir.write("app.wsgi", kHelloApp);
  SharedGroupSlot slot;
  DaemonOptions options;
  GetParam().set(options);
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  const auto status = daemon.wait_exit();
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  EXPECT_EQ(slot.exit_reason(), GetParam().reason);
  EXPECT_NE(daemon.log().find(GetParam().logged), std::string::npos) << daemon.log();
}

INSTANTIATE_TEST_SUITE_P(
    Limits, RecyclingLimit,
    ::testing::Values(
        LimitCase{"restart_interval", [](DaemonOptions& o) { o.restart_interval = 0.2; },
                  WSGID_EXIT_RESTART_INTERVAL, "draining (restart-interval elapsed)"},
        // A fresh interpreter alone uses more than these.
        LimitCase{"cpu_time_limit", [](DaemonOptions& o) { o.cpu_time_limit = 0.001; },
                  WSGID_EXIT_CPU_TIME_LIMIT, "draining (cpu-time-limit reached)"},
        LimitCase{"memory_limit", [](DaemonOptions& o) { o.memory_limit = 1024 * 1024; },
                  WSGID_EXIT_MEMORY_LIMIT, "draining (memory-limit exceeded)"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ProcessStatus, StartupTimeoutEndsASlowStartAsAFailedStart) {
  TempDir dir;
  const auto slow = dir.write("slow.py", "import time\ntime.sleep(60)\n");
  SharedGroupSlot slot;
  DaemonOptions options;
  options.startup_timeout = 0.3;
  options.preloads.push_back({slow, "", std::nullopt});
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  const auto status = daemon.wait_exit();
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == WSGID_EXIT_STARTUP_FAILURE);
  EXPECT_EQ(slot.exit_reason(), WSGID_EXIT_STARTUP_FAILED);
  EXPECT_NE(daemon.log().find("WSGID0524"), std::string::npos) << daemon.log();
}

}  // namespace
}  // namespace wsgid::test
