// The sandbox stage of the launcher's pipeline: model -> each site's compiled seccomp filter
// (binary), beside the render stage's text. The CLI runs both, then writes their files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "profile/model.hpp"

namespace wsgid::sandbox {

struct SiteFilter {
  std::string site;                   // the site's name
  std::vector<std::uint8_t> program;  // struct sock_filter[] as the kernel takes it
};

// One filter per site whose policy is enabled(), in profile order. Denied calls under "kill"
// and "log" go to the daemon's reporter (SECCOMP_RET_USER_NOTIF), which names each in the
// site's error log, then kills the caller or (learning mode) lets the call run. Throws
// std::runtime_error when a validated policy cannot be compiled (an environment problem).
std::vector<SiteFilter> compile_site_filters(const profile::Profile& profile);

}  // namespace wsgid::sandbox
