#include "unix_address.hpp"

#include <cstddef>
#include <cstring>

namespace wsgid {

std::optional<UnixAddress> unix_address(std::string_view name) {
  UnixAddress out;
  out.address.sun_family = AF_UNIX;
  const bool abstract = name.starts_with('@');
  // A path needs its terminating NUL inside sun_path; an abstract name is counted by length.
  if (name.empty() || name.size() > kMaxUnixPath + (abstract ? 1 : 0)) return std::nullopt;
  std::memcpy(out.address.sun_path, name.data(), name.size());
  if (abstract) out.address.sun_path[0] = '\0';
  out.length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
  return out;
}

}  // namespace wsgid
