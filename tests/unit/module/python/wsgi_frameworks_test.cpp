// Real frameworks from Debian (python3-flask, python3-django) through the daemon: the
// acceptance the issue names, at unit level, without httpd.
#include <gtest/gtest.h>

#include <random>

#include "daemon_harness.hpp"

namespace wsgid::test {
namespace {

std::string random_body(std::size_t size) {
  std::string body(size, '\0');
  std::mt19937 rng(7);
  for (auto& c : body) c = static_cast<char>(rng());
  return body;
}

std::string sha256_of_file(const std::string& path) {
  const std::string cmd =
      "/usr/bin/python3 -c \"import hashlib,sys;"
      "print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest(),end='')\" " +
      path;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[128] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  return std::string(buf, n);
}

constexpr const char* kFlaskApp = R"(
import hashlib
from flask import Flask, request
app = Flask(__name__)

@app.route('/hash', methods=['POST'])
def hash_body():
    return hashlib.sha256(request.get_data()).hexdigest()

@app.route('/hello/<name>')
def hello(name):
    return {'hello': name}

application = app
)";

constexpr const char* kDjangoApp = R"(
import hashlib
from django.conf import settings
settings.configure(DEBUG=False, ROOT_URLCONF=__name__, ALLOWED_HOSTS=['*'],
                   SECRET_KEY='unit-test-only', DATA_UPLOAD_MAX_MEMORY_SIZE=None)
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse, JsonResponse
from django.urls import path

def hash_body(request):
    return HttpResponse(hashlib.sha256(request.body).hexdigest())

def hello(request, name):
    return JsonResponse({'hello': name})

urlpatterns = [path('hash', hash_body), path('hello/<name>', hello)]
application = get_wsgi_application()
)";

struct Framework {
  const char* name;
  const char* source;
};

class Frameworks : public ::testing::TestWithParam<Framework> {};

TEST_P(Frameworks, FiveMebibytePostIsHashedCorrectly) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", GetParam().source);
  const std::string body = random_body(5 * 1024 * 1024);
  const std::string expected = sha256_of_file(dir.write("body.bin", body));
  Daemon daemon(dir);
  auto client = daemon.connect();
  const Response r = client.request(cgi(app, "POST", "/hash",
                                        {{"CONTENT_LENGTH", std::to_string(body.size())},
                                         {"CONTENT_TYPE", "application/octet-stream"}}),
                                    body);
  EXPECT_TRUE(r.ended);
  EXPECT_EQ(r.status, 200) << daemon.log();
  EXPECT_EQ(r.body, expected);
}

TEST_P(Frameworks, ServesJsonInASubInterpreter) {
  TempDir dir;
  const auto app = dir.write("app.wsgi", GetParam().source);
  Daemon daemon(dir);
  for (const std::string group : {"", "site-a"}) {
    auto client = daemon.connect();
    const Response r = client.request(
        cgi(app, "GET", "/hello/w%C3%B6rld", {{"mod_wsgi.application_group", group}}));
    EXPECT_EQ(r.status, 200) << daemon.log();
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_NE(r.body.find("\"hello\""), std::string::npos) << r.body;
  }
}

INSTANTIATE_TEST_SUITE_P(Debian, Frameworks,
                         ::testing::Values(Framework{"Flask", kFlaskApp},
                                           Framework{"Django", kDjangoApp}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace wsgid::test
