// Durations ("30s", "5m", "250ms") and sizes ("10MiB", "512KiB", "1GB") as profiles write them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace wsgid::profile {

inline constexpr std::string_view kDurationAccepted =
    "a duration: a whole number followed by ms, s, m, h, d or y (365 days), such as \"30s\", "
    "\"5m\" or \"250ms\"";
inline constexpr std::string_view kSizeAccepted =
    "a size: a whole number of bytes, or a number followed by B, KB, MB, GB, KiB, MiB or GiB, "
    "such as \"10MiB\" or \"512KiB\"";

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace wsgid::profile
