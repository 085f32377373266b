#include "tls_key_exposure.hpp"

namespace wsgid::render {

std::vector<std::string> tls_key_exposure(const profile::Profile& profile) {
  if (!profile.server.tls || profile.sites.size() < 2) return {};
  return {"WSGID2043: " + profile.file.string() + ": server.tls.key (" +
          profile.server.tls->key.string() + ") is loaded by httpd's parent before it starts the " +
          std::to_string(profile.sites.size()) +
          " sites' daemons, which inherit its memory: each site's app can read the key "
          "(docs/security.md, \"Inherited memory\"). If the sites must not trust each other, "
          "terminate TLS in front of wsgid (a proxy or load balancer) and drop server.tls, or "
          "run them as separate profiles"};
}

}  // namespace wsgid::render
