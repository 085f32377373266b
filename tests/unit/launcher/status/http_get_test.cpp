#include "status/http_get.hpp"

#include <gtest/gtest.h>

#include <future>

#include "canned_http_server.hpp"
#include "wsgid_process.hpp"

namespace wsgid::status {
namespace {

using std::chrono::seconds;

TEST(ConnectAddress, AsksWildcardsOnLoopback) {
  EXPECT_EQ(connect_address({"", 8080}), (profile::ListenAddress{"127.0.0.1", 8080}));
  EXPECT_EQ(connect_address({"0.0.0.0", 8080}), (profile::ListenAddress{"127.0.0.1", 8080}));
  EXPECT_EQ(connect_address({"[::]", 8080}), (profile::ListenAddress{"[::1]", 8080}));
  EXPECT_EQ(connect_address({"10.1.2.3", 81}), (profile::ListenAddress{"10.1.2.3", 81}));
}

TEST(HttpGet, SendsAnHttp10GetAndReadsStatusAndBody) {
  wsgid::testing::CannedHttpServer server(
      {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 15\r\n\r\n{\"ready\":false}"});
  const auto result = http_get({"127.0.0.1", server.port()}, "/-/readyz", seconds(5));
  ASSERT_TRUE(result.response) << result.error;
  EXPECT_EQ(result.response->status, 503);
  EXPECT_EQ(result.response->body, "{\"ready\":false}");
  EXPECT_EQ(server.requests().at(0),
            "GET /-/readyz HTTP/1.0\r\nHost: localhost\r\nUser-Agent: wsgid-status\r\n\r\n");
}

TEST(HttpGet, SaysWhenTheAnswerIsNotHttp) {
  wsgid::testing::CannedHttpServer server({"SSH-2.0-OpenSSH\r\n"});
  const auto result = http_get({"127.0.0.1", server.port()}, "/", seconds(5));
  EXPECT_FALSE(result.response);
  EXPECT_EQ(result.error, "not an HTTP response");
}

TEST(HttpGet, SaysWhenNothingListens) {
  const auto result = http_get({"", wsgid::testing::free_port()}, "/", seconds(5));
  EXPECT_FALSE(result.response);
  EXPECT_EQ(result.error, "Connection refused");
}

}  // namespace
}  // namespace wsgid::status
