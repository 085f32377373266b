// Error-log lines of a request: its request id on every line the app writes while handling
// it, Python logging records at their own level, and httpd's LogLevel from the daemon spec.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "daemon_harness.hpp"

namespace wsgid::test {
namespace {

// The log lines that contain `needle`.
std::vector<std::string> lines_with(const std::string& log, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr const char* kChattyApp = R"(
import logging, sys
log = logging.getLogger('myapp')
def application(environ, start_response):
    where = environ['PATH_INFO']
    environ['wsgi.errors'].write('via wsgi.errors %s\n' % where)
    print('via print', where)
    sys.stderr.write('via stderr %s\n' % where)
    log.error('via logging %s', where)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [environ.get('mod_wsgi.request_id', '(none)').encode()]
)";

TEST(RequestLog, EveryLineARequestWritesCarriesItsRequestId) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kChattyApp);
  Daemon daemon(dir);
  {
    auto client = daemon.connect();
    const Response r =
        client.request(cgi(app, "GET", "/one", {{"mod_wsgi.request_id", "req-42.a"}}));
    EXPECT_EQ(r.body, "req-42.a");  // the id is in the environ
  }
  {
    auto client = daemon.connect();
    EXPECT_EQ(client.request(cgi(app, "GET", "/two")).body, "(none)");
  }
  ASSERT_TRUE(daemon.wait_for_log("via logging /two"));
  const std::string log = daemon.log();
  for (const char* what :
       {"via wsgi.errors /one", "via print /one", "via stderr /one", "myapp: via logging /one"}) {
    const auto lines = lines_with(log, what);
    ASSERT_EQ(lines.size(), 1u) << what << "\n" << log;
    EXPECT_TRUE(contains(lines[0], "] [request req-42.a] " + std::string(what))) << lines[0];
  }
  // wsgi.errors names the client too, and the id comes after it, as in httpd's own lines.
  EXPECT_TRUE(contains(lines_with(log, "via wsgi.errors /one")[0],
                       "[client 127.0.0.1:5555] [request req-42.a] via wsgi.errors"));
  // The next request on the same threads has no id: none is left over.
  for (const auto& line : lines_with(log, " /two")) {
    EXPECT_FALSE(contains(line, "[request ")) << line;
  }
}

TEST(RequestLog, ARequestIdCannotForgeOrBreakALogLine) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kChattyApp);
  Daemon daemon(dir);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app, "GET", "/x", {{"mod_wsgi.request_id", "a] [b\nc"}})).status,
            200);
  ASSERT_TRUE(daemon.wait_for_log("via logging /x"));
  const auto lines = lines_with(daemon.log(), "via print /x");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(contains(lines[0], "[request a___b_c] via print /x")) << lines[0];
}

constexpr const char* kLevelsApp = R"(
import logging
log = logging.getLogger('myapp')
def application(environ, start_response):
    log.debug('a debug record')
    log.info('an info record')
    log.warning('a warning record')
    log.error('an error record')
    log.critical('a critical record')
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [type(logging.lastResort).__name__.encode()]
)";

TEST(RequestLog, PythonLoggingRecordsKeepTheirLevel) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kLevelsApp);
  DaemonOptions options;
  options.log_level = 6;  // info
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "ErrorLogHandler");
  ASSERT_TRUE(daemon.wait_for_log("a critical record"));
  const std::string log = daemon.log();
  EXPECT_FALSE(contains(log, "a debug record")) << log;
  const std::pair<const char*, const char*> expected[] = {{"an info record", "[wsgid:info]"},
                                                          {"a warning record", "[wsgid:warn]"},
                                                          {"an error record", "[wsgid:error]"},
                                                          {"a critical record", "[wsgid:crit]"}};
  for (const auto& [message, level] : expected) {
    const auto lines = lines_with(log, message);
    ASSERT_EQ(lines.size(), 1u) << message << "\n" << log;
    EXPECT_TRUE(contains(lines[0], level)) << lines[0];
    EXPECT_TRUE(contains(lines[0], std::string("] myapp: ") + message)) << lines[0];
  }
}

TEST(RequestLog, SubInterpretersHaveTheHandlerToo) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kLevelsApp);
  DaemonOptions options;
  options.log_level = 6;  // info
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  const Response r = client.request(cgi(
      app, "GET", "/", {{"mod_wsgi.application_group", "other"}, {"mod_wsgi.request_id", "s1"}}));
  EXPECT_EQ(r.body, "ErrorLogHandler");
  ASSERT_TRUE(daemon.wait_for_log("a critical record"));
  const auto lines = lines_with(daemon.log(), "an info record");
  ASSERT_EQ(lines.size(), 1u) << daemon.log();
  EXPECT_TRUE(contains(lines[0], "[wsgid:info]")) << lines[0];
  EXPECT_TRUE(contains(lines[0], "[request s1] myapp: an info record")) << lines[0];
}

TEST(RequestLog, HttpdsLogLevelFiltersPythonRecordsAndOurOwnLines) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kLevelsApp);
  DaemonOptions options;
  options.log_level = 3;  // error
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).status, 200);
  ASSERT_TRUE(daemon.wait_for_log("a critical record"));
  const std::string log = daemon.log();
  EXPECT_TRUE(contains(log, "[wsgid:error]")) << log;
  EXPECT_FALSE(contains(log, "an info record")) << log;
  EXPECT_FALSE(contains(log, "a warning record")) << log;
  EXPECT_FALSE(contains(log, " ready, ")) << log;  // a notice
}

TEST(RequestLog, TracebacksOfLoggedExceptionsStayAtTheRecordsLevel) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", R"(
import logging
def application(environ, start_response):
    try:
        raise ValueError('boom-value')
    except ValueError:
        logging.getLogger('myapp').exception('it failed')
    start_response('200 OK', [])
    return [b'']
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app, "GET", "/", {{"mod_wsgi.request_id", "tb1"}})).status, 200);
  ASSERT_TRUE(daemon.wait_for_log("ValueError: boom-value"));
  const auto lines = lines_with(daemon.log(), "[request tb1]");
  ASSERT_GE(lines.size(), 3u) << daemon.log();
  for (const auto& line : lines) EXPECT_TRUE(contains(line, "[wsgid:error]")) << line;
}

TEST(RequestLog, AnAppThatConfiguresLoggingKeepsItsConfiguration) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", R"(
import logging, sys
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format='APP %(levelname)s %(message)s')
def application(environ, start_response):
    logging.getLogger('myapp').info('configured record')
    start_response('200 OK', [])
    return [str(len(logging.getLogger().handlers)).encode()]
)");
  DaemonOptions options;
  options.log_level = 7;
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "1");  // only the app's own handler
  ASSERT_TRUE(daemon.wait_for_log("configured record"));
  const auto lines = lines_with(daemon.log(), "configured record");
  ASSERT_EQ(lines.size(), 1u) << daemon.log();
  EXPECT_TRUE(contains(lines[0], "APP INFO configured record")) << lines[0];
}

TEST(RequestLog, RecordsFromAThreadOutsideARequestHaveNoRequestId) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", R"(
import logging, threading
def application(environ, start_response):
    t = threading.Thread(target=lambda: logging.getLogger('bg').warning('from the background'))
    t.start()
    t.join()
    start_response('200 OK', [])
    return [b'']
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app, "GET", "/", {{"mod_wsgi.request_id", "fg"}})).status, 200);
  ASSERT_TRUE(daemon.wait_for_log("from the background"));
  const auto lines = lines_with(daemon.log(), "from the background");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(contains(lines[0], "[wsgid:warn]")) << lines[0];
  EXPECT_FALSE(contains(lines[0], "[request ")) << lines[0];
}

constexpr const char* kPartialLineApp = R"(
import sys
def application(environ, start_response):
    where = environ['PATH_INFO']
    if where == '/first':
        print('unfinished by first', end='')
    else:
        print('line of second')
    start_response('200 OK', [])
    return [b'']
)";

TEST(RequestLog, APartialLineKeepsTheIdOfTheRequestThatWroteIt) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", kPartialLineApp);
  DaemonOptions options;
  options.threads = 1;  // both requests on one thread: the second finds the first's partial line
  Daemon daemon(dir, options);
  for (const char* path : {"/first", "/second"}) {
    auto client = daemon.connect();
    const std::string id = std::string("id-") + (path + 1);
    EXPECT_EQ(client.request(cgi(app, "GET", path, {{"mod_wsgi.request_id", id}})).status, 200);
  }
  ASSERT_TRUE(daemon.wait_for_log("line of second"));
  const std::string log = daemon.log();
  const auto first = lines_with(log, "unfinished by first");
  ASSERT_EQ(first.size(), 1u) << log;
  EXPECT_TRUE(contains(first[0], "[request id-first] unfinished by first")) << first[0];
  EXPECT_FALSE(contains(first[0], "line of second")) << first[0];
  const auto second = lines_with(log, "line of second");
  ASSERT_EQ(second.size(), 1u) << log;
  EXPECT_TRUE(contains(second[0], "[request id-second] line of second")) << second[0];
}

TEST(RequestLog, LoggingIsNotLoadedForAnAppThatDoesNotUseIt) {
  // logging (with re, traceback, ...) costs a daemon about 2 MiB: only an app that imports it
  // pays for it.
  TempDir dir;
  const auto app = dir.write("app.wsgi", R"(
import sys
def application(environ, start_response):
    start_response('200 OK', [])
    return [str(sorted(m for m in ('logging', 're', 'traceback') if m in sys.modules)).encode()]
)");
  Daemon daemon(dir);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app)).body, "[]");
}

TEST(RequestLog, LoggingImportedDuringARequestStillReachesTheErrorLog) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", R"(
def application(environ, start_response):
    import logging
    logging.getLogger('late').info('imported late')
    start_response('200 OK', [])
    return [('%s %s' % (type(logging.lastResort).__name__,
                        [type(h).__name__ for h in logging.getLogger().handlers])).encode()]
)");
  DaemonOptions options;
  options.log_level = 6;  // info
  Daemon daemon(dir, options);
  auto client = daemon.connect();
  EXPECT_EQ(client.request(cgi(app, "GET", "/", {{"mod_wsgi.request_id", "late1"}})).body,
            "ErrorLogHandler ['ErrorLogHandler']");
  ASSERT_TRUE(daemon.wait_for_log("imported late"));
  const auto lines = lines_with(daemon.log(), "imported late");
  ASSERT_EQ(lines.size(), 1u) << daemon.log();
  EXPECT_TRUE(contains(lines[0], "[wsgid:info]")) << lines[0];
  EXPECT_TRUE(contains(lines[0], "[request late1] late: imported late")) << lines[0];
}

}  // namespace
}  // namespace wsgid::test
