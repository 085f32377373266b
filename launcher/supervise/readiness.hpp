// Whether httpd accepts connections yet: the launcher announces readiness only once it does.
#pragma once

#include "profile/listen_address.hpp"

namespace wsgid::supervise {

// Tries one TCP connection to `address` (wildcards are tried on loopback) and closes it.
bool accepts_connections(const profile::ListenAddress& address);

}  // namespace wsgid::supervise
