// "Did you mean …?" for misspelt option names.
#pragma once

#include <string_view>

namespace wsgid {

// Returns the candidate closest to `word` by edit distance, or an empty view when none is
// close enough to be a plausible typo. `candidates` is a comma-and-space separated list.
std::string_view nearest_option(std::string_view word, std::string_view candidates);

}  // namespace wsgid
