// A client address or network that may reach the health endpoints: what httpd's
// `Require ip` accepts, restricted to full addresses with an optional prefix length
// ("10.0.0.0/8", "::1", "fd00::/8"), so every entry means what it looks like.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wsgid::profile {

struct ClientNetwork {
  std::string address;  // as written, without the prefix length
  int prefix = 0;       // 32 or 128 for a single address
  bool ipv6 = false;
};

struct ClientNetworkParse {
  std::optional<ClientNetwork> network;
  // Set when the text is a network whose address has bits beyond its prefix ("10.1.0.0/8"):
  // httpd would silently widen it, so it is refused with the network it would mean.
  std::string canonical;
  // Set for a prefix length of 0, which httpd refuses: the profile says "all" instead.
  bool everyone = false;
  // Set for an IPv4-mapped IPv6 address ("::ffff:10.0.0.0/104"), which httpd's `Require ip`
  // refuses: the IPv4 form it means ("10.0.0.0/8"), or empty when the prefix cuts into ::ffff:.
  bool ipv4_mapped = false;
  std::string ipv4_form;
};

// The allow entry that admits every client (httpd's `Require all granted`).
inline constexpr std::string_view kEveryClient = "all";

inline constexpr std::string_view kClientNetworkAccepted =
    "an IPv4 or IPv6 address, a network in CIDR form or \"all\", such as \"127.0.0.1\", "
    "\"::1\", \"10.0.0.0/8\" or \"fd00::/8\"";

ClientNetworkParse parse_client_network(std::string_view text);

}  // namespace wsgid::profile
