#include "profile/listen_address.hpp"

#include <gtest/gtest.h>

namespace wsgid::profile {
namespace {

TEST(ParseListen, AcceptsThePortAlone) {
  EXPECT_EQ(parse_listen("8080"), (ListenAddress{"", 8080}));
}

TEST(ParseListen, TreatsStarAsEveryAddress) {
  EXPECT_EQ(parse_listen("*:8080"), (ListenAddress{"", 8080}));
}

TEST(ParseListen, AcceptsIpv4AndBracketedIpv6) {
  EXPECT_EQ(parse_listen("127.0.0.1:1"), (ListenAddress{"127.0.0.1", 1}));
  EXPECT_EQ(parse_listen("[::1]:65535"), (ListenAddress{"[::1]", 65535}));
}

TEST(ParseListen, RefusesPortsOutsideOneTo65535) {
  EXPECT_FALSE(parse_listen("0"));
  EXPECT_FALSE(parse_listen("0.0.0.0:0"));
  EXPECT_FALSE(parse_listen("127.0.0.1:65536"));
  EXPECT_FALSE(parse_listen("127.0.0.1:-1"));
  EXPECT_FALSE(parse_listen("127.0.0.1:"));
}

TEST(ParseListen, RefusesHostNamesAndMalformedAddresses) {
  EXPECT_FALSE(parse_listen("localhost:8080"));
  EXPECT_FALSE(parse_listen("::1:8080"));
  EXPECT_FALSE(parse_listen("[::1]8080"));
  EXPECT_FALSE(parse_listen("300.1.1.1:80"));
}

TEST(ListenAddress, PrintsAsHttpdListenTakesIt) {
  EXPECT_EQ((ListenAddress{"", 8080}).to_string(), "8080");
  EXPECT_EQ((ListenAddress{"[::]", 80}).to_string(), "[::]:80");
  EXPECT_TRUE((ListenAddress{"0.0.0.0", 80}).is_wildcard());
  EXPECT_FALSE((ListenAddress{"127.0.0.1", 80}).is_wildcard());
}

}  // namespace
}  // namespace wsgid::profile
