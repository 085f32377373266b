// Reads a table the walker accepted (defaults filled, paths absolute) into the typed model.
#pragma once

#include "model.hpp"
#include "schema.hpp"

namespace wsgid::profile {

// Precondition: walk() and cross_check() reported nothing for `root`.
Profile build_model(const toml::table& root, const std::filesystem::path& file);

}  // namespace wsgid::profile
