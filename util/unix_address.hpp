// The address of a UNIX socket by name: a file system path, or "@name" for the abstract
// namespace (Linux), where the '@' stands for the leading NUL byte.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <optional>
#include <string_view>

namespace wsgid {

struct UnixAddress {
  sockaddr_un address{};
  socklen_t length = 0;  // what bind() and connect() take: no padding NULs for abstract names

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&address); }
};

// std::nullopt when `name` is empty or does not fit sun_path (with its NUL, for a path).
std::optional<UnixAddress> unix_address(std::string_view name);

// The longest path unix_address() accepts.
inline constexpr std::size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;

}  // namespace wsgid
