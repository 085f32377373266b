// server.tls rules that span several values: certificate and key together, their contents
// (tls_files.hpp), and TLS listeners distinct from the cleartext ones. Run on the walked table
// so each finding keeps the position of the key it is about.
#pragma once

#include <vector>

#include "diagnostic.hpp"
#include "walker.hpp"

namespace wsgid::profile {

void check_tls(const toml::table& root, const WalkInput& input, std::vector<Diagnostic>& errors,
               std::vector<Diagnostic>& warnings);

}  // namespace wsgid::profile
