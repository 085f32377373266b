// Rules that span several values: unique site names, server names and listen addresses,
// distinct mount points within a site. Run on the walked table so each finding keeps its
// source position, and tolerant of values the walker already rejected.
#pragma once

#include <vector>

#include "diagnostic.hpp"
#include "walker.hpp"

namespace wsgid::profile {

void cross_check(const toml::table& root, const WalkInput& input, std::vector<Diagnostic>& out);

}  // namespace wsgid::profile
