// wsgi.input: body frames pulled on demand, file-like reads, streaming both ways, timeouts.
#include <gtest/gtest.h>

#include <random>

#include "daemon_harness.hpp"

namespace wsgid::test {
namespace {

std::string sha256_hex(const std::string& data, const TempDir& dir) {
  // The test process has no crypto library of its own: ask Debian's Python, from a file.
  const auto path = dir.write("blob.bin", data);
  const std::string cmd =
      "/usr/bin/python3 -c \"import "
      "hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())\" " +
      path;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[128] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  std::string out(buf, n);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(WsgiInput, FiveMebibytePostIsStreamedInFramesAndHashedByTheApp) {
  TempDir dir;
  const auto app = dir.write("hash.wsgi", R"(
import hashlib
def application(environ, start_response):
    h = hashlib.sha256()
    total = 0
    while True:
        block = environ['wsgi.input'].read(65536)
        if not block:
            break
        h.update(block)
        total += len(block)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%s %d' % (h.hexdigest(), total)).encode()]
)");
  std::string body(5 * 1024 * 1024, '\0');
  std::mt19937 rng(42);
  for (auto& c : body) c = static_cast<char>(rng());
  const std::string expected = sha256_hex(body, dir) + " " + std::to_string(body.size());
  Daemon daemon(dir);
  auto client = daemon.connect();
  const Response r = client.request(
      cgi(app, "POST", "/", {{"CONTENT_LENGTH", std::to_string(body.size())}}), body);
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, expected);
}

TEST(WsgiInput, ReadWithoutSizeStopsAtRequestEnd) {
  TempDir dir;
  const auto app = dir.write("all.wsgi", R"(
def application(environ, start_response):
    data = environ['wsgi.input'].read()
    again = environ['wsgi.input'].read()
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'%d %d' % (len(data), len(again))]
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app, "POST"));
  client.body(std::string(3000000, 'x'));
  client.body("tail");
  client.end();
  EXPECT_EQ(client.read_response().body, "3000004 0");
}

TEST(WsgiInput, FileLikeReads) {
  TempDir dir;
  const auto app = dir.write("lines.wsgi", R"(
def application(environ, start_response):
    i = environ['wsgi.input']
    out = [i.readline(), i.read(3), i.readline(2), i.readline(), i.readlines(1),
           list(i), i.readlines(), i.read(), i.readline()]
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [repr(out).encode()]
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app, "POST"));
  // Lines split across frames on purpose.
  client.body("line1\nli");
  client.body("ne2\nthird\nfou");
  client.body("rth\nlast");
  client.end();
  EXPECT_EQ(client.read_response().body,
            "[b'line1\\n', b'lin', b'e2', b'\\n', [b'third\\n'], [b'fourth\\n', b'last'], [], "
            "b'', b'']");
}

TEST(WsgiInput, SizedReadsSpanFramesAndSkipEmptyOnes) {
  TempDir dir;
  const auto app = dir.write("spans.wsgi", R"(
def application(environ, start_response):
    i = environ['wsgi.input']
    out = [i.read(0), i.readline(0), i.read(2), i.read(7), i.readline(), i.read(100000),
           i.read(5), i.readline(), i.read()]
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [repr(out).encode()]
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app, "POST"));
  client.body("abc");
  client.body("");
  client.body("defgh");
  client.body("ij\nklm");
  client.body(std::string(70000, 'x'));
  client.body("nop");
  client.end();
  EXPECT_EQ(client.read_response().body, "[b'', b'', b'ab', b'cdefghi', b'j\\n', b'klm" +
                                             std::string(70000, 'x') + "nop', b'', b'', b'']");
}

TEST(WsgiInput, BodyIsReadWhileTheResponseStreams) {
  TempDir dir;
  const auto app = dir.write("echo.wsgi", R"(
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    for line in environ['wsgi.input']:
        yield line.upper()
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app, "POST"));
  client.body("one\n");
  auto head = client.read_frame();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->type, wire::FrameType::kResponseHead);
  for (const std::string line : {"one\n", "two\n", "three\n"}) {
    if (line != "one\n") client.body(line);
    auto f = client.read_frame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->type, wire::FrameType::kResponseBody);
    std::string upper = line;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(f->payload, upper);
  }
  client.end();
  const Response rest = client.read_response();
  EXPECT_TRUE(rest.ended);
  EXPECT_EQ(rest.body, "");
}

TEST(WsgiInput, SocketTimeoutRaisesOSErrorAndDropsTheConnection) {
  TempDir dir;
  const auto app = dir.write("wait.wsgi", R"(
def application(environ, start_response):
    try:
        environ['wsgi.input'].read()
    except OSError as e:
        print('input failed:', type(e).__name__, e)
        raise
    start_response('200 OK', [])
    return [b'never']
)");
  DaemonOptions options;
  options.socket_timeout = 0.3;
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  client.hello();
  client.head(cgi(app, "POST"));
  EXPECT_TRUE(client.closed_by_peer());
  EXPECT_TRUE(
      daemon.wait_for_log("input failed: OSError request body read failed: no progress "
                          "on the worker connection within socket-timeout"));
  EXPECT_TRUE(daemon.wait_for_log("WSGID0520: worker connection failed while serving"));
  // The daemon is still serving.
  const auto ok = dir.write("ok.wsgi", R"(
def application(environ, start_response):
    start_response('200 OK', [])
    return [b'fine']
)");
  auto next = daemon.connect();
  EXPECT_EQ(next.request(cgi(ok)).body, "fine");
}

}  // namespace
}  // namespace wsgid::test

namespace wsgid::test {
namespace {

TEST(WsgiInput, AThreadStillReadingWhenTheRequestEndsIsWokenSafely) {
  TempDir dir;
  const auto app = dir.write("thread.wsgi", R"(
import threading
results = []
about_to_read = threading.Event()
def reader(stream):
    about_to_read.set()
    try:
        results.append(stream.read())
    except OSError as e:
        results.append('reader woken: %s' % type(e).__name__)
def application(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/result':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [repr(results).encode()]
    threading.Thread(target=reader, args=(environ['wsgi.input'],), daemon=True).start()
    about_to_read.wait()
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'returned']
)");
  Daemon daemon(dir);
  {
    auto client = daemon.connect();
    client.hello();
    client.head(cgi(app, "POST", "/start"));
    const Response r = client.read_response();
    EXPECT_TRUE(r.ended);
    EXPECT_EQ(r.body, "returned");
  }
  auto client = daemon.connect();
  const Response r = client.request(cgi(app, "GET", "/result"));
  EXPECT_TRUE(r.ended);
  // Either the thread had not started reading (b'') or it was woken with an error.
  EXPECT_TRUE(r.body == "[b'']" || r.body == "['reader woken: OSError']" || r.body == "[]")
      << r.body;
}

}  // namespace
}  // namespace wsgid::test
