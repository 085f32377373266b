#include "listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace wsgid::profile {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<ListenAddress> parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    const auto port = parse_port(text);
    if (!port) return std::nullopt;
    return ListenAddress{"", *port};
  }
  const std::string host(text.substr(0, colon));
  const auto port = parse_port(text.substr(colon + 1));
  if (!port) return std::nullopt;
  if (host == "*") return ListenAddress{"", *port};
  unsigned char buffer[16];
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    const std::string inner = host.substr(1, host.size() - 2);
    if (inet_pton(AF_INET6, inner.c_str(), buffer) != 1) return std::nullopt;
    return ListenAddress{host, *port};
  }
  if (inet_pton(AF_INET, host.c_str(), buffer) != 1) return std::nullopt;
  return ListenAddress{host, *port};
}

}  // namespace wsgid::profile
