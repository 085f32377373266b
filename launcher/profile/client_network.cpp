#include "client_network.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>

namespace wsgid::profile {

ClientNetworkParse parse_client_network(std::string_view text) {
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  ClientNetwork network{address, 32, address.find(':') != std::string::npos};
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(network.ipv6 ? AF_INET6 : AF_INET, address.c_str(), bytes.data()) != 1) return {};
  const int width = network.ipv6 ? 128 : 32;
  if (network.ipv6 && IN6_IS_ADDR_V4MAPPED(reinterpret_cast<const in6_addr*>(bytes.data()))) {
    ClientNetworkParse mapped;
    mapped.ipv4_mapped = true;
    std::array<char, INET_ADDRSTRLEN> shown{};
    inet_ntop(AF_INET, bytes.data() + 12, shown.data(), shown.size());
    int prefix = 128;
    if (slash != std::string_view::npos) {
      const std::string_view digits = text.substr(slash + 1);
      const auto [end, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (error != std::errc{} || end != digits.data() + digits.size()) prefix = -1;
    }
    if (prefix >= 96 && prefix <= 128) {
      mapped.ipv4_form = shown.data();
      if (prefix != 128) mapped.ipv4_form.append("/").append(std::to_string(prefix - 96));
    }
    return mapped;
  }
  network.prefix = width;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    int prefix = -1;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    // Leading zeros and signs are refused: "/08" is not a form anyone means.
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty() ||
        (digits.size() > 1 && digits.front() == '0') || prefix < 0 || prefix > width) {
      return {};
    }
    if (prefix == 0) return {std::nullopt, "", true};
    network.prefix = prefix;
  }
  bool host_bits = false;
  for (int bit = network.prefix; bit < width; ++bit) {
    const auto mask = static_cast<unsigned char>(0x80U >> (bit % 8));
    if ((bytes[static_cast<std::size_t>(bit / 8)] & mask) != 0) {
      host_bits = true;
      bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<unsigned char>(~mask);
    }
  }
  if (host_bits) {
    std::array<char, INET6_ADDRSTRLEN> shown{};
    inet_ntop(network.ipv6 ? AF_INET6 : AF_INET, bytes.data(), shown.data(), shown.size());
    return {std::nullopt, std::string(shown.data()) + "/" + std::to_string(network.prefix), false};
  }
  return {network, "", false};
}

}  // namespace wsgid::profile
