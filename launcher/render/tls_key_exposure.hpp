// The one thing sites still share against their will (docs/security.md, "Inherited memory"):
// httpd's parent loads server.tls's private key before it forks the daemons, so every site's
// daemons hold a copy in their memory, where the site's app can read it.
#pragma once

#include <string>
#include <vector>

#include "profile/model.hpp"

namespace wsgid::render {

// A WSGID2043 warning when the profile serves TLS for two or more sites; nothing otherwise (a
// single site can only read the key that already serves it alone).
std::vector<std::string> tls_key_exposure(const profile::Profile& profile);

}  // namespace wsgid::render
