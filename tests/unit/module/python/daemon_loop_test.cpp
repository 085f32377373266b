// The daemon's request loop: hello and peer checks, bad input, recycling and draining.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstring>
#include <filesystem>
#include <regex>
#include <thread>

#include "daemon_harness.hpp"
#include "python_abi.h"

namespace wsgid::test {
namespace {

constexpr const char* kHelloApp = R"(
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'hello']
)";

int exit_code(const std::optional<int>& status) {
  if (!status) return -1;
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
}

TEST(DaemonLoop, ServesARequestAndLogsReady) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  Daemon daemon(dir);
  auto client = daemon.connect();
  const Response r = client.request(cgi(app));
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(daemon.wait_for_log("wsgid: daemon group testgroup pid " +
                                  std::to_string(daemon.pid()) + " ready, 2 threads"));
  // v2: the connection stays open for the next request.
  EXPECT_EQ(r.end_flags, wire::kKeepAlive);
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(DaemonLoop, OneConnectionCarriesManyRequestsWithOnePeerCheck) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", R"(
def application(environ, start_response):
    body = environ['wsgi.input'].read()
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'got ' + body]
)");
  DaemonOptions options;
  options.log_level = 7;  // debug: one "connection from worker" line per accepted connection
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  Response r = client.request(cgi(app, "POST"), "0");
  EXPECT_EQ(r.body, "got 0");
  EXPECT_EQ(r.end_flags, wire::kKeepAlive);
  for (int i = 1; i < 20; ++i) {
    // Bodies the application reads, and one it leaves unread: both end at a clean boundary.
    r = i == 7 ? client.next_request(cgi(app), "")
               : client.next_request(cgi(app, "POST"), std::to_string(i));
    ASSERT_TRUE(r.ended) << "request " << i;
    EXPECT_EQ(r.body, i == 7 ? "got " : "got " + std::to_string(i));
    EXPECT_EQ(r.end_flags, wire::kKeepAlive);
  }
  EXPECT_EQ(count(daemon.log(), "connection from worker pid"), 1u);
}

TEST(DaemonLoop, ALargeBodyTheAppLeftUnreadIsSkippedAndTheConnectionServesTheNext) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  Daemon daemon(dir);
  auto client = daemon.connect();
  // 3 MiB the application never reads: the worker had sent it all, so the daemon reads past it
  // to RequestEnd instead of closing a connection it promised to keep.
  const Response r = client.request(cgi(app, "POST"), std::string(3 << 20, 'z'));
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.end_flags, wire::kKeepAlive);
  EXPECT_EQ(client.next_request(cgi(app)).body, "hello");
}

TEST(DaemonLoop, MaximumRequestsCountsRequestsNotConnections) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  DaemonOptions options;
  options.maximum_requests = 3;
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).end_flags, wire::kKeepAlive);
  EXPECT_EQ(client.next_request(cgi(app)).end_flags, wire::kKeepAlive);
  const Response last = client.next_request(cgi(app));
  EXPECT_EQ(last.body, "hello");
  EXPECT_EQ(last.end_flags, 0) << "the recycling process promises no further request";
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(daemon.log().find("draining (maximum-requests reached)"), std::string::npos);
}

TEST(DaemonLoop, DrainSendsGoAwayOnIdleConnections) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  Daemon daemon(dir);
  auto client = daemon.connect();
  ASSERT_EQ(client.request(cgi(app)).end_flags, wire::kKeepAlive);
  ASSERT_EQ(::kill(daemon.pid(), SIGUSR1), 0);
  const auto frame = client.read_frame();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->type, wire::FrameType::kGoAway);
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
}

TEST(DaemonLoop, RequestSentAsTheDaemonDrainsIsNotReadAndGetsGoAway) {
  TempDir dir;
  const auto marker = dir.str() + "/ran";
  const auto busy_started = dir.str() + "/busy-started";
  const auto app = dir.write("app.wsgi", R"(
import time
def application(environ, start_response):
    if environ['PATH_INFO'] == '/busy':
        open(')" + busy_started + R"(', 'w').close()
    if environ['PATH_INFO'] in ('/slow', '/busy'):
        time.sleep(1)
    else:
        open(')" + marker + R"(', 'a').write('x')
    start_response('200 OK', [])
    return [b'done']
)");
  DaemonOptions options;
  options.threads = 2;
  Daemon daemon(dir, options);
  auto idle = daemon.connect();
  ASSERT_EQ(idle.request(cgi(app, "GET", "/slow")).end_flags, wire::kKeepAlive);
  // A slow request keeps the draining process alive while the idle connection gets GoAway.
  auto busy = daemon.connect();
  busy.hello();
  busy.head(cgi(app, "GET", "/busy"));
  busy.end();
  // Drain only once the app runs the busy request, or the drain would answer it GoAway too.
  ASSERT_TRUE(testing::eventually([&] { return std::filesystem::exists(busy_started); }, 10s));
  ASSERT_EQ(::kill(daemon.pid(), SIGUSR1), 0);
  ASSERT_TRUE(daemon.wait_for_log("draining (graceful restart)"));
  // The worker's next request races the GoAway: either way the daemon never reads it.
  try {
    idle.head(cgi(app));
    idle.end();
  } catch (const std::exception&) {
    // EPIPE: the GoAway came first.
  }
  const auto frame = idle.read_frame();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->type, wire::FrameType::kGoAway);
  EXPECT_EQ(busy.read_response().body, "done");
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(DaemonLoop, FileWrapperOnARegularFilePassesItsDescriptor) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 50000; ++i) content += static_cast<char>('a' + i % 26);
  const auto data = dir.write("data.bin", content);
  const auto app = dir.write("app.wsgi", R"(
import io
def application(environ, start_response):
    path = environ['PATH_INFO']
    headers = [('Content-Type', 'application/octet-stream')]
    if path == '/capped':
        headers.append(('Content-Length', '1000'))
    start_response('200 OK', headers)
    if path == '/memory':
        return environ['wsgi.file_wrapper'](io.BytesIO(b'in memory'), 4)
    f = open(')" + data + R"(', 'rb')
    f.read(10)  # the descriptor is sent from the file's position, not from 0
    return environ['wsgi.file_wrapper'](f, 8192)
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  Response r = client.request(cgi(app, "GET", "/file"));
  EXPECT_EQ(r.file_frames, 1);
  EXPECT_EQ(r.body_frames, 0);
  EXPECT_EQ(r.body, content.substr(10));
  EXPECT_EQ(r.end_flags, wire::kKeepAlive);
  r = client.next_request(cgi(app, "GET", "/capped"));
  EXPECT_EQ(r.file_frames, 1);
  EXPECT_EQ(r.body, content.substr(10, 1000));
  // Not a file with a descriptor: iterated and sent as bytes, as before.
  r = client.next_request(cgi(app, "GET", "/memory"));
  EXPECT_EQ(r.file_frames, 0);
  EXPECT_EQ(r.body, "in memory");
}

TEST(DaemonLoop, AProcessHoldingMoreConnectionsThanASiblingLetsTheNextOneGo) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  SharedGroupSlot slot;
  // A READY sibling process of the group holding no connection.
  wsgid_process_slot& sibling = slot.group()->processes_slots[1];
  __atomic_store_n(&sibling.state, std::int32_t{WSGID_PROCESS_READY}, __ATOMIC_RELAXED);
  __atomic_store_n(&sibling.connections, 0, __ATOMIC_RELAXED);
  DaemonOptions options;
  options.threads = 4;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  auto first = daemon.connect();
  EXPECT_EQ(first.request(cgi(app)).end_flags, wire::kKeepAlive);  // 1 vs 0: even enough
  auto second = daemon.connect();
  EXPECT_EQ(second.request(cgi(app)).end_flags, 0) << "2 vs 0: the sibling should take it";
  EXPECT_TRUE(second.closed_by_peer());
  EXPECT_TRUE(slot.wait_for(
      [&] { return __atomic_load_n(&slot.process()->connections, __ATOMIC_RELAXED); }, 1));
  __atomic_store_n(&sibling.connections, 3, __ATOMIC_RELAXED);
  auto third = daemon.connect();
  EXPECT_EQ(third.request(cgi(app)).end_flags, wire::kKeepAlive);  // 2 vs 3
}

TEST(DaemonLoop, AProcessKeepsNoMoreConnectionsThanThreads) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  DaemonOptions options;
  options.threads = 1;
  Daemon daemon(dir, options);
  auto first = daemon.connect();
  EXPECT_EQ(first.request(cgi(app)).end_flags, wire::kKeepAlive);
  // A second connection while the first is parked: two connections, one thread. Keeping it
  // would let requests wait here while another process of the group might be idle.
  auto second = daemon.connect();
  EXPECT_EQ(second.request(cgi(app)).end_flags, 0);
  EXPECT_TRUE(second.closed_by_peer());
  EXPECT_EQ(first.next_request(cgi(app)).body, "hello");
}

TEST(DaemonLoop, WrongHelloDropsTheConnectionAndKeepsServing) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  Daemon daemon(dir);
  {
    auto client = daemon.connect();
    std::string out;
    wire::append_frame(out, wire::FrameType::kHello, 0, std::string("XXXX\x01\x00\x00\x00", 8));
    client.send_raw(out);
    EXPECT_TRUE(client.closed_by_peer());
  }
  EXPECT_TRUE(daemon.wait_for_log("WSGID0540"));
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "hello");
}

// Sends `hello`, then a request for `pairs`, in one write (the daemon may have closed already:
// then the write fails, which is fine); true if any frame came back.
bool answered(Client& client, const std::string& hello, const Pairs& pairs) {
  std::vector<std::pair<std::string_view, std::string_view>> views(pairs.begin(), pairs.end());
  std::string payload, out = hello;
  wire::append_pairs(payload, views);
  wire::append_frame(out, wire::FrameType::kRequestHead, 0, payload);
  wire::append_frame(out, wire::FrameType::kRequestEnd, 0, {});
  try {
    client.send_raw(out);
  } catch (const std::runtime_error&) {
    return false;
  }
  return client.read_frame().has_value();
}

// What another site's app would send: a well-formed request naming a script of its choosing,
// with a Hello that does not carry this group's secret.
constexpr const char* kMarkerApp = R"(
import os
open(os.path.join(os.path.dirname(__file__), 'imported'), 'w').close()
def application(environ, start_response):
    start_response('200 OK', [])
    return [b'forged']
)";

TEST(DaemonLoop, HelloWithoutTheGroupsSecretIsRefusedAndNothingReachesPython) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  const auto forged = dir.write("forged.wsgi", kMarkerApp);
  Daemon daemon(dir);
  for (std::size_t flip : {std::size_t{0}, wire::kSecretSize - 1}) {
    unsigned char other[wire::kSecretSize];
    std::memcpy(other, kTestSecret, sizeof other);
    other[flip] ^= 0x80;
    auto client = daemon.connect();
    std::string out;
    wire::append_hello(out, other);
    EXPECT_FALSE(answered(client, out, cgi(forged, "GET", "/", {{"REMOTE_USER", "admin"}})));
  }
  EXPECT_TRUE(daemon.wait_for_log("WSGID0540"));
  EXPECT_TRUE(daemon.wait_for_log("pid " + std::to_string(::getpid()) + " uid " +
                                  std::to_string(::getuid())));
  EXPECT_TRUE(daemon.wait_for_log("does not prove this group's secret"));
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "hello");
  EXPECT_FALSE(std::filesystem::exists(dir.str() + "/imported"));
}

TEST(DaemonLoop, AnOlderWorkersHelloIsRefusedNamingTheVersions) {
  TempDir dir;
  Daemon daemon(dir);
  auto client = daemon.connect();
  std::string out;
  wire::append_frame(out, wire::FrameType::kHello, 0, std::string("WSGD\x02\x00\x00\x00", 8));
  client.send_raw(out);
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(daemon.wait_for_log("WSGID0505"));
  EXPECT_TRUE(daemon.wait_for_log("protocol version 2"));
}

TEST(DaemonLoop, APeerThatSaysNothingHoldsNoThreadAndIsClosedAfterTheHelloTimeout) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  DaemonOptions options;
  options.threads = 1;
  Daemon daemon(dir, options);
  auto silent = daemon.connect();
  auto trickle = daemon.connect();
  trickle.send_raw(std::string("\x01\x00\x00\x00", 4));  // half a Hello's header
  // The only request thread is free for the worker meanwhile, well before the hello timeout.
  const auto start = std::chrono::steady_clock::now();
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "hello");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_TRUE(silent.closed_by_peer(30s));
  EXPECT_TRUE(trickle.closed_by_peer(30s));
  EXPECT_TRUE(daemon.wait_for_log("WSGID0542"));
  EXPECT_TRUE(daemon.wait_for_log("sent no Hello within"));
}

TEST(DaemonLoop, AHelloThatWaitsForABusyThreadIsServedNotRefusedAtTheHelloTimeout) {
  // Accepted while its thread was free, then its thread went to a long request: the Hello and
  // request that arrive meanwhile wait for the thread like any queued request. Refusing them at
  // the hello timeout would fail a worker's request it can no longer resend (a 502).
  TempDir dir;
  const auto busy_started = dir.str() + "/busy-started";
  const auto app = dir.write("app.wsgi", R"(
import time
def application(environ, start_response):
    if environ['PATH_INFO'] == '/busy':
        open(')" + busy_started + R"(', 'w').close()
        time.sleep(6)
    start_response('200 OK', [])
    return [environ['PATH_INFO'].encode()]
)");
  SharedGroupSlot slot;
  DaemonOptions options;
  options.threads = 1;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  auto late = daemon.connect();
  ASSERT_TRUE(slot.wait_for(
      [&] { return __atomic_load_n(&slot.process()->connections, __ATOMIC_RELAXED); }, 1))
      << "the daemon did not accept the connection";
  auto busy = daemon.connect();
  busy.hello();
  busy.head(cgi(app, "GET", "/busy"));
  busy.end();
  ASSERT_TRUE(testing::eventually([&] { return std::filesystem::exists(busy_started); }, 10s));
  late.hello();
  late.head(cgi(app, "GET", "/late"));
  late.end();
  EXPECT_EQ(busy.read_response().body, "/busy");
  const Response r = late.read_response();
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, "/late");
  EXPECT_EQ(daemon.log().find("WSGID0542"), std::string::npos) << daemon.log();
}

TEST(DaemonLoop, AConnectionAcceptedBeforeADrainIsServedWhenItsHelloComesAfter) {
  // A worker connects, then writes: the daemon may accept in between. If it drains then, the
  // request on its way must still be served; a GoAway on a fresh connection could not be resent.
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  SharedGroupSlot slot;
  DaemonOptions options;
  options.threads = 1;
  options.process_slot = slot.process();
  options.group_slot = slot.group();
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  ASSERT_TRUE(slot.wait_for(
      [&] { return __atomic_load_n(&slot.process()->connections, __ATOMIC_RELAXED); }, 1))
      << "the daemon did not accept the connection";
  ASSERT_EQ(::kill(daemon.pid(), SIGUSR1), 0);
  ASSERT_TRUE(daemon.wait_for_log("draining (graceful restart)"));
  const Response r = client.request(cgi(app));
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
}

TEST(DaemonLoop, APeerThatStartsWithALargeFrameIsRefusedAtItsHeader) {
  TempDir dir;
  Daemon daemon(dir);
  auto client = daemon.connect();
  // A RequestHead header announcing 4 MiB, and none of it: refused without buffering any.
  client.send_raw(std::string("\x02\x00\x00\x00\x00\x00\x40\x00", 8));
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(daemon.wait_for_log("WSGID0540"));
}

TEST(DaemonLoop, OnlyChildrenOfTheGivenParentMayConnect) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  const auto forged = dir.write("forged.wsgi", kMarkerApp);
  DaemonOptions options;
  options.peer_parent_pid = ::getpid();  // this test process plays httpd's parent
  Daemon daemon(dir, options);
  {
    DescendantConnection child(daemon, 1);  // a worker
    EXPECT_EQ(child.client().request(cgi(app)).body, "hello");
  }
  DescendantConnection grandchild(daemon, 2);  // e.g. a CGI script a worker started
  std::string hello;
  wire::append_hello(hello, kTestSecret);  // even with the secret
  EXPECT_FALSE(answered(grandchild.client(), hello, cgi(forged)));
  EXPECT_TRUE(daemon.wait_for_log("WSGID0541"));
  EXPECT_TRUE(daemon.wait_for_log("pid " + std::to_string(grandchild.connector())));
  EXPECT_TRUE(daemon.wait_for_log("not an httpd worker"));
  EXPECT_FALSE(std::filesystem::exists(dir.str() + "/imported"));
}

TEST(DaemonLoop, MalformedFrameDropsTheConnectionAndKeepsServing) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  Daemon daemon(dir);
  {
    auto client = daemon.connect();
    client.hello();
    client.send_raw(std::string("\xee\x00\x01\x00\x05\x00\x00\x00hello", 13));
    EXPECT_TRUE(client.closed_by_peer());
  }
  {
    // A truncated head: the worker goes away mid-frame.
    auto client = daemon.connect();
    client.hello();
    client.send_raw(
        std::string("\x02\x00\x00\x00\xff\x00\x00\x00"
                    "abc",
                    11));
  }
  EXPECT_TRUE(daemon.wait_for_log("malformed frame from worker"));
  auto client = daemon.connect();
  const Response r = client.request(cgi(app));
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, "hello");
}

TEST(DaemonLoop, PeerWithAUidNotAllowedIsRefused) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  DaemonOptions options;
  options.allowed_uids = {::getuid() + 4242};
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app));
  client.end();
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(daemon.wait_for_log("WSGID0504"));
  EXPECT_TRUE(daemon.wait_for_log("uid " + std::to_string(::getuid())));
}

TEST(DaemonLoop, MaximumRequestsRecyclesWithExitZero) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  DaemonOptions options;
  options.maximum_requests = 3;
  Daemon daemon(dir, options);
  for (int i = 0; i < 3; ++i) {
    auto client = daemon.connect();
    const Response r = client.request(cgi(app));
    EXPECT_TRUE(r.ended) << "request " << i;
    EXPECT_EQ(r.body, "hello");
  }
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(daemon.log().find("draining (maximum-requests reached)"), std::string::npos);
  EXPECT_NE(daemon.log().find("exiting (maximum-requests reached)"), std::string::npos);
}

TEST(DaemonLoop, SigtermDrainsAnInFlightRequestThenExitsZero) {
  TempDir dir;
  const auto app = dir.write("slow.wsgi", R"(
import atexit
atexit.register(lambda: print('atexit ran'))
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b'started;'
    # Blocks until the test sends the body, i.e. until after SIGTERM.
    yield environ['wsgi.input'].read()
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app, "POST"));
  auto head = client.read_frame();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->type, wire::FrameType::kResponseHead);
  auto first = client.read_frame();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->payload, "started;");

  ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
  EXPECT_TRUE(daemon.wait_for_log("draining (stop requested), 1 requests in flight"));
  // Our copy of the listening socket is gone: nobody accepts on it any more.
  EXPECT_EQ(daemon.connect_error(), ECONNREFUSED);
  EXPECT_FALSE(daemon.wait_exit(0ms));

  client.body("finished");
  client.end();
  const Response rest = client.read_response();
  EXPECT_TRUE(rest.ended);
  EXPECT_EQ(rest.body, "finished");
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(daemon.log().find("atexit ran"), std::string::npos);
  EXPECT_NE(daemon.log().find("exiting (stop requested)"), std::string::npos);
}

TEST(DaemonLoop, Sigusr1WithNothingInFlightExitsAtOnce) {
  TempDir dir;
  dir.write("app.wsgi", kHelloApp);
  Daemon daemon(dir);
  ASSERT_TRUE(daemon.wait_for_log(" ready, "));
  ASSERT_EQ(::kill(daemon.pid(), SIGUSR1), 0);
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(daemon.log().find("draining (graceful restart)"), std::string::npos);
}

// Embedded in an httpd worker, signals are httpd's: SIGTERM is not taken as a drain
// request (it kills, as httpd's default would), and a drain is asked for on control_fd.
TEST(DaemonLoop, EmbeddedInstallsNoSignalHandlers) {
  TempDir dir;
  dir.write("app.wsgi", kHelloApp);
  const std::string fifo = dir.str() + "/control";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  DaemonOptions o;
  o.embedded = true;
  o.control_fifo = fifo;
  Daemon daemon(dir, o);
  ASSERT_TRUE(daemon.wait_for_log(" ready, "));
  EXPECT_EQ(daemon.connect().request(cgi(dir.str() + "/app.wsgi")).status, 200);
  EXPECT_NE(daemon.log().find("embedded Python in worker pid"), std::string::npos);
  ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
  const auto status = daemon.wait_exit();
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGTERM);
  EXPECT_EQ(daemon.log().find("draining"), std::string::npos);
}

TEST(DaemonLoop, EmbeddedDrainsOnAControlByteAndReturns) {
  TempDir dir;
  dir.write("app.wsgi", kHelloApp);
  const std::string fifo = dir.str() + "/control";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  DaemonOptions o;
  o.embedded = true;
  o.control_fifo = fifo;
  Daemon daemon(dir, o);
  ASSERT_TRUE(daemon.wait_for_log(" ready, "));
  const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const unsigned char byte = SIGUSR1;
  EXPECT_EQ(::write(fd, &byte, 1), 1);
  ::close(fd);
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(daemon.log().find("draining (graceful restart)"), std::string::npos);
}

TEST(DaemonLoop, ScriptNotFoundGives500AndNamesThePath) {
  TempDir dir;
  Daemon daemon(dir);
  auto client = daemon.connect();
  const Response r = client.request(cgi(dir.str() + "/missing.wsgi"));
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(daemon.wait_for_log("WSGID0501: WSGI script '" + dir.str() + "/missing.wsgi'"));
}

TEST(DaemonLoop, MissingCallableGives500AndSaysHowToFix) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  Daemon daemon(dir);
  auto client = daemon.connect();
  const Response r =
      client.request(cgi(app, "GET", "/", {{"mod_wsgi.callable_object", "nothere"}}));
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(
      daemon.wait_for_log("WSGID0502: WSGI script '" + app + "' has no callable named 'nothere'"));
}

TEST(DaemonLoop, PreloadFailureExitsWithStartupFailureCode) {
  TempDir dir;
  const auto bad = dir.write("bad.py", "raise RuntimeError('broken at import')\n");
  DaemonOptions options;
  options.preloads = {{bad, "", std::nullopt}};
  Daemon daemon(dir, options);
  EXPECT_EQ(exit_code(daemon.wait_exit()), WSGID_EXIT_STARTUP_FAILURE);
  EXPECT_NE(daemon.log().find("WSGID0514"), std::string::npos);
  EXPECT_NE(daemon.log().find("broken at import"), std::string::npos);
}

}  // namespace
}  // namespace wsgid::test

namespace wsgid::test {
namespace {

TEST(DaemonLoop, LogLinesUseHttpdsErrorLogFormat) {
  TempDir dir;
  Daemon daemon(dir);
  ASSERT_TRUE(daemon.wait_for_log(" ready, "));
  const std::string log = daemon.log();
  const std::string line = log.substr(0, log.find('\n'));
  // [Sat Nov 21 05:28:50.123456 2026] [wsgid:notice] [pid 123:tid 456] message
  const std::regex format(
      R"(^\[(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )"
      R"([ 0-9]\d \d\d:\d\d:\d\d\.\d{6} \d{4}\] \[wsgid:notice\] \[pid \d+:tid \d+\] wsgid: .*$)");
  EXPECT_TRUE(std::regex_match(line, format)) << line;
}

TEST(DaemonLoop, PeerGoneMidRequestIsLoggedAtDebugOnly) {
  TempDir dir;
  const auto app = dir.write("stream.wsgi", R"(
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    environ['wsgi.input'].read()
    return [b'never']
)");
  DaemonOptions options;
  options.threads = 1;    // so the next request is served only after the broken one
  options.log_level = 7;  // debug
  Daemon daemon(dir, options);
  {
    auto client = daemon.connect();
    client.hello();
    client.head(cgi(app, "POST"));
    client.body("partial");
  }  // the worker goes away mid-body
  const auto ok = dir.write("ok.wsgi", R"(
def application(environ, start_response):
    start_response('200 OK', [])
    return [b'fine']
)");
  auto next = daemon.connect();
  EXPECT_EQ(next.request(cgi(ok)).body, "fine");
  EXPECT_EQ(daemon.log().find("[wsgid:error]"), std::string::npos) << daemon.log();
  EXPECT_NE(daemon.log().find("[wsgid:debug]"), std::string::npos);
  EXPECT_NE(daemon.log().find("WSGID0506: worker connection failed while serving"),
            std::string::npos)
      << daemon.log();
}

TEST(DaemonLoop, RequestsStuckPastTheDrainDeadlineForceExit) {
  TempDir dir;
  const auto app = dir.write("stuck.wsgi", R"(
import threading
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b'started'
    threading.Event().wait()  # never finishes
)");
  DaemonOptions options;
  options.shutdown_timeout = 0.3;
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app));
  client.end();
  ASSERT_TRUE(client.read_frame());  // head
  ASSERT_TRUE(client.read_frame());  // "started"
  ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(daemon.log().find("WSGID0517"), std::string::npos);
  const Response rest = client.read_response();
  EXPECT_FALSE(rest.ended);  // the client sees a broken response, never a complete one
}

TEST(DaemonLoop, RequestTimeoutRecyclesTheProcess) {
  TempDir dir;
  const auto app = dir.write("stuck.wsgi", R"(
import threading
def application(environ, start_response):
    threading.Event().wait()
)");
  DaemonOptions options;
  options.request_timeout = 0.3;
  options.graceful_timeout = 0.3;
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app));
  client.end();
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(
      daemon.log().find("WSGID0518: daemon group testgroup pid " + std::to_string(daemon.pid()) +
                        ": the request to '" + app + "' for client 127.0.0.1:5555 has run longer"),
      std::string::npos)
      << daemon.log();
  EXPECT_NE(daemon.log().find("draining (request-timeout exceeded)"), std::string::npos);
}

TEST(DaemonLoop, InactivityTimeoutRecyclesAnIdleProcess) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  DaemonOptions options;
  options.inactivity_timeout = 0.3;
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "hello");
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(daemon.log().find("draining (inactivity-timeout reached)"), std::string::npos);
}

}  // namespace
}  // namespace wsgid::test

namespace wsgid::test {
namespace {

TEST(DaemonLoop, ProcessesTheAppStartsCanBeStoppedWithSigterm) {
  TempDir dir;
  const auto app = dir.write("spawn.wsgi", R"(
import os, signal, subprocess, time
def application(environ, start_response):
    # An exec'd child must not inherit a mask that blocks SIGTERM.
    status = subprocess.run(['grep', 'SigBlk', '/proc/self/status'],
                            capture_output=True, text=True).stdout.split()[1]
    # A forked child must die of SIGTERM, not pass it to the daemon as a drain request.
    pid = os.fork()
    if pid == 0:
        while True:
            time.sleep(60)
    os.kill(pid, signal.SIGTERM)
    _, wait_status = os.waitpid(pid, 0)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%s %s' % (status, os.WTERMSIG(wait_status) if os.WIFSIGNALED(wait_status)
                        else 'exited')).encode()]
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "0000000000000000 15");
  auto again = daemon.connect();
  const auto ok = dir.write("ok.wsgi", kHelloApp);
  EXPECT_EQ(again.request(cgi(ok)).body, "hello");
  EXPECT_EQ(daemon.log().find("draining"), std::string::npos) << daemon.log();
}

}  // namespace
}  // namespace wsgid::test

namespace wsgid::test {
namespace {

TEST(DaemonLoop, TouchingTheScriptRecyclesTheDaemon) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kHelloApp);
  Daemon daemon(dir);
  {
    auto client = daemon.connect();
    EXPECT_EQ(client.request(cgi(app)).body, "hello");
  }
  // A new mtime, whatever the filesystem's timestamp granularity.
  const timespec later[2] = {{0, UTIME_OMIT}, {::time(nullptr) + 100, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, app.c_str(), later, 0), 0);
  auto client = daemon.connect();
  EXPECT_TRUE(client.request(cgi(app)).ended);
  EXPECT_EQ(exit_code(daemon.wait_exit()), 0);
  EXPECT_NE(daemon.log().find("WSGI script '" + app + "' changed; recycling"), std::string::npos);
  EXPECT_NE(daemon.log().find("draining (WSGI script modified)"), std::string::npos);
}

}  // namespace
}  // namespace wsgid::test
