#include "did_you_mean.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace wsgid {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::size_t typo_allowance(std::string_view word) {
  return std::clamp<std::size_t>(word.size() / 3, 1, 3);
}

NearestWord::NearestWord(std::string_view word)
    : word_(word), best_distance_(typo_allowance(word) + 1) {}

void NearestWord::consider(std::string_view candidate) {
  // The distance is at least the difference in length, so a far longer word (a 100 KB key)
  // is dismissed without the quadratic table.
  const std::size_t longer = std::max(word_.size(), candidate.size());
  if (longer - std::min(word_.size(), candidate.size()) >= best_distance_) return;
  const std::size_t distance = edit_distance(word_, candidate);
  if (distance < best_distance_) {
    best_ = candidate;
    best_distance_ = distance;
  }
}

std::optional<std::string_view> nearest(std::string_view word,
                                        std::span<const std::string_view> candidates) {
  NearestWord nearest(word);
  for (const auto candidate : candidates) nearest.consider(candidate);
  return nearest.best();
}

std::optional<std::string_view> nearest_in_list(std::string_view word,
                                                std::string_view comma_separated) {
  NearestWord nearest(word);
  while (!comma_separated.empty()) {
    const std::size_t comma = comma_separated.find(", ");
    nearest.consider(comma_separated.substr(0, comma));
    comma_separated =
        comma == std::string_view::npos ? std::string_view{} : comma_separated.substr(comma + 2);
  }
  return nearest.best();
}

}  // namespace wsgid
