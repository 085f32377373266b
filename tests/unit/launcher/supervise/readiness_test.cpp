#include "supervise/readiness.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace wsgid::supervise {
namespace {

TEST(AcceptsConnections, IsTrueWhileSomethingListensAndFalseAfter) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const auto port = ntohs(address.sin_port);
  EXPECT_TRUE(accepts_connections({"127.0.0.1", port}));
  EXPECT_TRUE(accepts_connections({"", port}));  // a wildcard listen is probed on loopback
  ::close(fd);
  EXPECT_FALSE(accepts_connections({"127.0.0.1", port}));
}

}  // namespace
}  // namespace wsgid::supervise
