#include "suggest.hpp"

#include <algorithm>
#include <vector>

namespace wsgid {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string_view nearest_option(std::string_view word, std::string_view candidates) {
  std::string_view best;
  std::size_t best_distance = word.size() / 3 + 2;  // a few typos, never a different word
  while (!candidates.empty()) {
    const std::size_t comma = candidates.find(", ");
    const std::string_view c = candidates.substr(0, comma);
    candidates =
        comma == std::string_view::npos ? std::string_view{} : candidates.substr(comma + 2);
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace wsgid
