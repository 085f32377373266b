// The one generic walker: checks a parsed TOML table against a TableSpec, fills in defaults,
// canonicalises values through the checks, and collects every problem rather than the first.
#pragma once

#include <string>
#include <vector>

#include "diagnostic.hpp"
#include "schema.hpp"

namespace wsgid::profile {

// Strings and keys longer than this are refused (WSGID1050) before any check reads them: no
// profile value needs more (paths end at PATH_MAX), and httpd reads config lines of at most
// 8 KiB.
inline constexpr std::size_t kMaxStringBytes = 4096;

// What the walker accepts before any value check: at most kMaxStringBytes, no control
// characters. Later stages skip other text, which the walker has already reported.
bool walkable_text(std::string_view text);

struct WalkInput {
  std::string file;  // for diagnostics
  CheckContext context;
};

void walk(toml::table& root, const TableSpec& spec, const WalkInput& input,
          std::vector<Diagnostic>& out);

// How a value is shown in messages: strings quoted TOML-style, other scalars as written.
std::string describe_value(const toml::node& node);

// "site[1].daemon" + "processes"; keys that are not bare TOML keys are quoted.
std::string join_key_path(const std::string& parent, std::string_view key);

}  // namespace wsgid::profile
