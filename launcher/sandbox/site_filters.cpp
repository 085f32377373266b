#include "site_filters.hpp"

#include <stdexcept>

#include "policy.hpp"

namespace wsgid::sandbox {

std::vector<SiteFilter> compile_site_filters(const profile::Profile& profile) {
  std::vector<SiteFilter> filters;
  for (const auto& site : profile.sites) {
    if (!site.sandbox.seccomp.enabled()) continue;
    auto compiled = compile(site.sandbox.seccomp, {.report_via_notify = true});
    if (!compiled.ok()) {
      throw std::runtime_error("cannot compile the seccomp policy of site \"" + site.name +
                               "\": " + compiled.error);
    }
    filters.push_back({site.name, std::move(compiled.program)});
  }
  return filters;
}

}  // namespace wsgid::sandbox
