// "Did you mean …?" for a misspelt key, value, option, directive argument or syscall name. One
// rule everywhere, so the same typo gets the same suggestion wherever it is made: the closest
// candidate by edit distance, letters compared without case, an adjacent transposition
// ("procesess") counting as one edit, and at most a third of the word's length away (at least
// 1 edit, at most 3). On a tie the first candidate wins.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace wsgid {

// Optimal string alignment distance, ignoring ASCII case.
std::size_t edit_distance(std::string_view a, std::string_view b);

// How many edits away a candidate may be and still be suggested for `word`.
std::size_t typo_allowance(std::string_view word);

// Feeds candidates one by one, for callers whose candidates are not in one container.
class NearestWord {
 public:
  explicit NearestWord(std::string_view word);
  void consider(std::string_view candidate);
  // The closest candidate considered, if it was within the allowance. The view is the one
  // passed to consider().
  std::optional<std::string_view> best() const { return best_; }

 private:
  std::string_view word_;
  std::size_t best_distance_;
  std::optional<std::string_view> best_;
};

std::optional<std::string_view> nearest(std::string_view word,
                                        std::span<const std::string_view> candidates);

// The same over a list written for people, "a, b, c" (the module's lists of valid options).
std::optional<std::string_view> nearest_in_list(std::string_view word,
                                                std::string_view comma_separated);

}  // namespace wsgid
