#include "profile/client_network.hpp"

#include <gtest/gtest.h>

namespace wsgid::profile {
namespace {

TEST(ParseClientNetwork, AcceptsSingleAddressesAsFullPrefixes) {
  const auto v4 = parse_client_network("127.0.0.1").network;
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->address, "127.0.0.1");
  EXPECT_EQ(v4->prefix, 32);
  EXPECT_FALSE(v4->ipv6);
  const auto v6 = parse_client_network("::1").network;
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->prefix, 128);
  EXPECT_TRUE(v6->ipv6);
}

TEST(ParseClientNetwork, AcceptsNetworksInCidrForm) {
  for (const char* text : {"10.0.0.0/8", "172.16.0.0/12", "0.0.0.0/1", "fd00::/8", "::/1",
                           "192.168.1.7/32", "2001:db8::/32"}) {
    EXPECT_TRUE(parse_client_network(text).network) << text;
  }
  EXPECT_EQ(parse_client_network("172.16.0.0/12").network->prefix, 12);
}

TEST(ParseClientNetwork, RefusesWhatIsNotAnAddress) {
  for (const char* text : {"", "localhost", "10.0.0", "10.0.0.0/", "10.0.0.0/33", "::1/129",
                           "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/8/8", "[::1]", "10.0.0.0 /8"}) {
    const auto parsed = parse_client_network(text);
    EXPECT_FALSE(parsed.network) << text;
    EXPECT_EQ(parsed.canonical, "") << text;
  }
}

TEST(ParseClientNetwork, SaysAZeroPrefixMeansEveryone) {
  // httpd's Require ip refuses a prefix length of 0; the profile writes "all" instead.
  for (const char* text : {"0.0.0.0/0", "::/0"}) {
    const auto parsed = parse_client_network(text);
    EXPECT_FALSE(parsed.network) << text;
    EXPECT_TRUE(parsed.everyone) << text;
  }
}

TEST(ParseClientNetwork, NamesTheNetworkMeantWhenHostBitsAreSet) {
  EXPECT_EQ(parse_client_network("10.1.2.3/8").canonical, "10.0.0.0/8");
  EXPECT_EQ(parse_client_network("172.31.0.0/12").canonical, "172.16.0.0/12");
  EXPECT_EQ(parse_client_network("fe80::1/10").canonical, "fe80::/10");
  EXPECT_FALSE(parse_client_network("fe80::1/10").network);
}

}  // namespace
}  // namespace wsgid::profile
