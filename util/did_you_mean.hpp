// "did you mean ...?" for misspelt keys and values.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace wsgid::profile {

// The candidate closest to `word` by edit distance, if it is close enough to be a plausible
// typo (at most a third of the word's length, and at least 1 edit allowed).
std::optional<std::string_view> nearest(std::string_view word,
                                        std::span<const std::string_view> candidates);

std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace wsgid::profile
