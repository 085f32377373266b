// PEP 3333 as seen by applications: environ, start_response, write(), response iterables,
// close(), wsgi.file_wrapper, error handling, and Python's own wsgiref.validate.
#include <gtest/gtest.h>

#include "daemon_harness.hpp"

namespace wsgid::test {
namespace {

TEST(WsgiAdapter, EnvironHasPep3333KeysAndNativeStrings) {
  TempDir dir;
  const auto app = dir.write("env.wsgi", R"(
def application(environ, start_response):
    lines = []
    for key in sorted(environ):
        value = environ[key]
        if '.' not in key:
            assert type(value) is str, (key, type(value))
        if key.startswith(('wsgi.', 'mod_wsgi.')) and key not in ('wsgi.input', 'wsgi.errors', 'wsgi.file_wrapper'):
            lines.append('%s=%r' % (key, value))
    lines.append('PATH_INFO=%r' % environ['PATH_INFO'])
    lines.append('input=%s' % type(environ['wsgi.input']).__name__)
    lines.append('errors=%s' % type(environ['wsgi.errors']).__name__)
    lines.append('file_wrapper=%s' % environ['wsgi.file_wrapper'].__name__)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return ['\n'.join(lines).encode('utf-8')]
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  // PATH_INFO as raw bytes: latin-1 decoding maps byte 0xE9 to U+00E9.
  const Response r = client.request(cgi(app, "GET", "/caf\xe9"));
  ASSERT_EQ(r.status, 200) << daemon.log();
  EXPECT_NE(r.body.find("wsgi.version=(1, 0)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("wsgi.url_scheme='http'"), std::string::npos);
  EXPECT_NE(r.body.find("wsgi.multithread=True"), std::string::npos);
  EXPECT_NE(r.body.find("wsgi.multiprocess=False"), std::string::npos);
  EXPECT_NE(r.body.find("wsgi.run_once=False"), std::string::npos);
  EXPECT_NE(r.body.find("wsgi.input_terminated=True"), std::string::npos);
  EXPECT_NE(r.body.find("mod_wsgi.application_group=''"), std::string::npos);
  EXPECT_NE(r.body.find("mod_wsgi.process_group='testgroup'"), std::string::npos);
  EXPECT_NE(r.body.find("PATH_INFO='/café'"), std::string::npos);
  EXPECT_NE(r.body.find("input=Input"), std::string::npos);
  EXPECT_NE(r.body.find("errors=Log"), std::string::npos);
  EXPECT_NE(r.body.find("file_wrapper=FileWrapper"), std::string::npos);

  auto secure = daemon.connect();
  const Response s = secure.request(cgi(app, "GET", "/", {{"HTTPS", "on"}}));
  EXPECT_NE(s.body.find("wsgi.url_scheme='https'"), std::string::npos);
}

TEST(WsgiAdapter, RunOnceAndMultiprocessFollowTheGroup) {
  TempDir dir;
  const auto app = dir.write("env.wsgi", R"(
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [repr((environ['wsgi.multithread'], environ['wsgi.multiprocess'],
                  environ['wsgi.run_once'])).encode()]
)");
  DaemonOptions options;
  options.threads = 1;
  options.processes = 3;
  options.maximum_requests = 1;
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "(False, True, True)");
}

constexpr const char* kValidatedApp = R"(
import warnings, wsgiref.validate
warnings.simplefilter('error')  # a WSGIWarning from the validator fails the request

def inner(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/stream':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        def chunks():
            for i in range(5):
                yield b'chunk%d;' % i
        return chunks()
    if path == '/file':
        start_response('200 OK', [('Content-Type', 'application/octet-stream')])
        return environ['wsgi.file_wrapper'](open(__file__, 'rb'), 7)
    if path == '/post':
        size = int(environ.get('CONTENT_LENGTH') or 0)
        body = environ['wsgi.input'].read(size)
        start_response('200 OK', [('Content-Type', 'text/plain'),
                                  ('Content-Length', str(len(body)))])
        return [body.upper()]
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '5')])
    return [b'hello']

application = wsgiref.validate.validator(inner)
)";

class Validated : public ::testing::Test {
 protected:
  void SetUp() override { app_ = dir_.write("valid.wsgi", kValidatedApp); }
  void TearDown() override {
    const std::string log = daemon_.log();
    EXPECT_EQ(log.find("Error"), std::string::npos) << log;
    EXPECT_EQ(log.find("Warning"), std::string::npos) << log;
    EXPECT_EQ(log.find("Exception"), std::string::npos) << log;
  }
  TempDir dir_;
  Daemon daemon_{dir_};
  std::string app_;
};

TEST_F(Validated, Get) {
  auto client = daemon_.connect();
  const Response r = client.request(cgi(app_));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, "hello");
}

TEST_F(Validated, Head) {
  auto client = daemon_.connect();
  const Response r = client.request(cgi(app_, "HEAD"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.header("Content-Length"), "5");
}

TEST_F(Validated, Post) {
  auto client = daemon_.connect();
  const Response r = client.request(
      cgi(app_, "POST", "/post", {{"CONTENT_LENGTH", "11"}, {"CONTENT_TYPE", "text/plain"}}),
      "hello world");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, "HELLO WORLD");
}

TEST_F(Validated, Streaming) {
  auto client = daemon_.connect();
  const Response r = client.request(cgi(app_, "GET", "/stream"));
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, "chunk0;chunk1;chunk2;chunk3;chunk4;");
  EXPECT_EQ(r.body_frames, 5);  // a generator's chunks go out as they come
}

TEST_F(Validated, FileWrapper) {
  auto client = daemon_.connect();
  const Response r = client.request(cgi(app_, "GET", "/file"));
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, kValidatedApp);
}

constexpr const char* kFailingApp = R"(
import sys

class Body:
    def __init__(self, tag, fail_at=None):
        self.tag, self.fail_at = tag, fail_at
    def __iter__(self):
        for i in range(3):
            if i == self.fail_at:
                raise ValueError('boom-in-iteration-' + self.tag)
            yield b'part%d;' % i
    def close(self):
        print('close called for ' + self.tag)

def application(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/before':
        raise ValueError('boom-before')
    if path == '/after':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Body('after', fail_at=2)
    if path == '/first-item':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Body('first-item', fail_at=0)
    if path == '/ok':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Body('ok')
    if path == '/bad-header':
        start_response('200 OK', [('X-Bad', 'a\r\nInjected: yes')])
        return [b'never']
    if path == '/bad-status':
        start_response('20 OK', [])
        return [b'never']
    if path == '/str-body':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return ['not bytes']
    if path == '/no-start':
        return [b'data']
    if path == '/twice':
        start_response('200 OK', [])
        start_response('201 Created', [])
        return []
    if path == '/exc-info-before':
        start_response('200 OK', [('Content-Type', 'text/plain')])
        try:
            raise KeyError('x')
        except KeyError:
            start_response('503 Busy', [('Content-Type', 'text/plain')], sys.exc_info())
        return [b'replaced']
    if path == '/exc-info-after':
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        write(b'sent;')
        try:
            raise KeyError('too-late')
        except KeyError:
            start_response('500 Oops', [], sys.exc_info())
        return [b'never']
    if path == '/write':
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        write(b'written;')
        return [b'returned']
    if path == '/errors':
        environ['wsgi.errors'].write('to wsgi.errors\n')
        print('to stdout', 'two args')
        print('to stderr', file=sys.stderr)
        import faulthandler
        faulthandler.dump_traceback(file=sys.stderr)  # needs fileno()
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'']
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'no such path']
)";

class Failing : public ::testing::Test {
 protected:
  void SetUp() override { app_ = dir_.write("fail.wsgi", kFailingApp); }
  Response get(const std::string& path) {
    auto client = daemon_.connect();
    return client.request(cgi(app_, "GET", path));
  }
  TempDir dir_;
  Daemon daemon_{dir_};
  std::string app_;
};

TEST_F(Failing, ExceptionBeforeHeadersGives500AndLogsTheTraceback) {
  const Response r = get("/before");
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("Internal Server Error"), std::string::npos);
  EXPECT_TRUE(daemon_.wait_for_log("WSGID0509: exception in WSGI application '" + app_));
  EXPECT_TRUE(daemon_.wait_for_log("ValueError: boom-before"));
  EXPECT_TRUE(daemon_.wait_for_log("[client 127.0.0.1:5555] Traceback (most recent call last):"));
}

TEST_F(Failing, ExceptionAfterHeadersTruncatesWithoutResponseEnd) {
  const Response r = get("/after");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "part0;part1;");
  EXPECT_FALSE(r.ended);
  EXPECT_TRUE(daemon_.wait_for_log("WSGID0510"));
  EXPECT_TRUE(daemon_.wait_for_log("boom-in-iteration-after"));
  EXPECT_TRUE(daemon_.wait_for_log("close called for after"));
}

TEST_F(Failing, CloseIsAlwaysCalled) {
  EXPECT_EQ(get("/ok").body, "part0;part1;part2;");
  EXPECT_TRUE(daemon_.wait_for_log("close called for ok"));
  // Failing on the first item: nothing was sent yet, so this is still a clean 500.
  const Response r = get("/first-item");
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(r.ended);
  EXPECT_TRUE(daemon_.wait_for_log("close called for first-item"));
}

TEST_F(Failing, InvalidHeaderValueGives500) {
  const Response r = get("/bad-header");
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.header("Injected"), "");
  EXPECT_TRUE(daemon_.wait_for_log("WSGID0508: response header"));
}

TEST_F(Failing, InvalidStatusGives500) {
  EXPECT_EQ(get("/bad-status").status, 500);
  EXPECT_TRUE(daemon_.wait_for_log("WSGID0508: status '20 OK'"));
}

TEST_F(Failing, StrBodyGives500) {
  EXPECT_EQ(get("/str-body").status, 500);
  EXPECT_TRUE(daemon_.wait_for_log("WSGID0511: the response iterable yielded str"));
}

TEST_F(Failing, NoStartResponseGives500) {
  EXPECT_EQ(get("/no-start").status, 500);
  EXPECT_TRUE(daemon_.wait_for_log("WSGID0511"));
}

TEST_F(Failing, SecondStartResponseWithoutExcInfoGives500) {
  EXPECT_EQ(get("/twice").status, 500);
  EXPECT_TRUE(daemon_.wait_for_log("called a second time without exc_info"));
}

TEST_F(Failing, ExcInfoBeforeHeadersReplacesTheResponse) {
  const Response r = get("/exc-info-before");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.reason, "Busy");
  EXPECT_EQ(r.body, "replaced");
  EXPECT_TRUE(r.ended);
}

TEST_F(Failing, ExcInfoAfterHeadersReraises) {
  const Response r = get("/exc-info-after");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "sent;");
  EXPECT_FALSE(r.ended);
  EXPECT_TRUE(daemon_.wait_for_log("KeyError: 'too-late'"));
}

TEST_F(Failing, WriteCallableComesBeforeTheIterable) {
  const Response r = get("/write");
  EXPECT_EQ(r.body, "written;returned");
  EXPECT_TRUE(r.ended);
}

TEST_F(Failing, PrintAndWsgiErrorsLandInTheErrorLog) {
  EXPECT_EQ(get("/errors").status, 200);
  EXPECT_TRUE(daemon_.wait_for_log("[client 127.0.0.1:5555] to wsgi.errors\n"));
  EXPECT_TRUE(daemon_.wait_for_log("[wsgid:error] [pid " + std::to_string(daemon_.pid())));
  EXPECT_TRUE(daemon_.wait_for_log("] to stdout two args\n"));
  EXPECT_TRUE(daemon_.wait_for_log("] to stderr\n"));
  EXPECT_TRUE(daemon_.wait_for_log("fail.wsgi\", line"));  // faulthandler wrote to fd 2
}

}  // namespace
}  // namespace wsgid::test

namespace wsgid::test {
namespace {

TEST(WsgiAdapter, ALargeChunkGoesThroughTheRingAsOneFramePerFreeRun) {
  // Each ResponseRing frame becomes one bucket in the worker and one writev to the client: a
  // chunk is cut only where the 1 MiB ring is full (this client releases each frame as soon as
  // it has read it, so the daemon waits for room three times).
  TempDir dir;
  const auto app = dir.write("big.wsgi", R"(
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'application/octet-stream')])
    return [b'a' * (3 * 1024 * 1024 + 5), b'tail']
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  const Response r = client.request(cgi(app));
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body.size(), 3u * 1024 * 1024 + 9);
  EXPECT_EQ(r.body.substr(r.body.size() - 5), "atail");
  EXPECT_EQ(r.ring_frames, 3 + 1);      // three full rings, then the 5 bytes left
  EXPECT_EQ(r.body_frames, 3 + 1 + 1);  // and 'tail', too small for the ring, on the socket
}

}  // namespace
}  // namespace wsgid::test

namespace wsgid::test {
namespace {

constexpr const char* kLengthApp = R"(
def application(environ, start_response):
    n = environ['PATH_INFO'].strip('/')
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '5')])
    return [b'x' * int(n)]
)";

TEST(WsgiAdapter, BodyBeyondContentLengthIsNotSent) {
  TempDir dir;
  const auto app = dir.write("len.wsgi", kLengthApp);
  Daemon daemon(dir);
  auto client = daemon.connect();
  const Response r = client.request(cgi(app, "GET", "/9"));
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.body, "xxxxx");
}

TEST(WsgiAdapter, BodyShortOfContentLengthIsABrokenResponse) {
  TempDir dir;
  const auto app = dir.write("len.wsgi", kLengthApp);
  Daemon daemon(dir);
  auto client = daemon.connect();
  const Response r = client.request(cgi(app, "GET", "/2"));
  EXPECT_FALSE(r.ended);
  EXPECT_EQ(r.body, "xx");
  EXPECT_TRUE(daemon.wait_for_log("WSGID0521"));
  // HEAD legitimately sends no body.
  auto head = daemon.connect();
  const Response h = head.request(cgi(app, "HEAD", "/0"));
  EXPECT_TRUE(h.ended);
  EXPECT_EQ(h.header("Content-Length"), "5");
}

}  // namespace
}  // namespace wsgid::test
