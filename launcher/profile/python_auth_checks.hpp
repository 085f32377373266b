// Rules between a site's python_auth keys, and between python_auth and basic_auth: a hook that
// could never run, or two password checks on one site, is refused rather than half rendered.
#pragma once

#include <string>
#include <vector>

#include "diagnostic.hpp"
#include "walker.hpp"

namespace wsgid::profile {

void check_python_auth(const toml::table& site, const std::string& site_path,
                       const WalkInput& input, std::vector<Diagnostic>& out);

}  // namespace wsgid::profile
