#include "units.hpp"

#include <array>
#include <limits>
#include <utility>

namespace wsgid::profile {
namespace {

// Splits "123unit" into its number and unit; refuses signs, blanks and overflow so that
// "-5s" or "1 000s" are reported rather than silently misread.
std::optional<std::pair<std::uint64_t, std::string_view>> split_number(std::string_view text) {
  std::size_t i = 0;
  std::uint64_t value = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return std::nullopt;
  return std::pair{value, text.substr(i)};
}

std::optional<std::uint64_t> scaled(std::uint64_t value, std::uint64_t factor,
                                    std::uint64_t limit) {
  if (value > limit / factor) return std::nullopt;
  return value * factor;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 6> kUnits{{
      {"ms", 1},
      {"s", 1000},
      {"m", 60'000},
      {"h", 3'600'000},
      {"d", 86'400'000},
      {"y", 365ULL * 86'400'000},  // what caching headers mean by a year
  }};
  for (const auto& [unit, factor] : kUnits) {
    if (parts->second == unit) {
      // Bounded far below the representation's limit: no timeout needs more than a year.
      const auto ms = scaled(parts->first, factor, 366ULL * 24 * 3'600'000);
      if (!ms) return std::nullopt;
      return std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kUnits{{
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"MB", 1000'000},
      {"GB", 1000'000'000},
      {"KiB", 1ULL << 10},
      {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30},
  }};
  for (const auto& [unit, factor] : kUnits) {
    if (parts->second == unit) {
      return scaled(parts->first, factor, std::numeric_limits<std::int64_t>::max());
    }
  }
  return std::nullopt;
}

}  // namespace wsgid::profile
