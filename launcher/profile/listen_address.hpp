// "0.0.0.0:8080", "[::1]:8080", "*:8080" or "8080": what httpd's Listen accepts, minus host
// names (those make httpd resolve DNS at start-up).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgid::profile {

struct ListenAddress {
  std::string host;  // "" for every address, else an IPv4 literal or "[v6]"
  std::uint16_t port = 0;

  bool is_wildcard() const { return host.empty() || host == "0.0.0.0" || host == "[::]"; }
  std::string to_string() const {
    return host.empty() ? std::to_string(port) : host + ":" + std::to_string(port);
  }
  bool operator==(const ListenAddress&) const = default;
};

inline constexpr std::string_view kListenAccepted =
    "an IP address and a port from 1 to 65535, such as \"0.0.0.0:8080\", \"127.0.0.1:8080\", "
    "\"[::]:8080\" or \"8080\"";

std::optional<ListenAddress> parse_listen(std::string_view text);

}  // namespace wsgid::profile
