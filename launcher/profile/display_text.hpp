// How text a user supplied is echoed in messages: one problem is one line whatever the value
// holds, and a 100 KB value is cut to what a reader needs to recognise it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wsgid::profile {

// Values longer than this many bytes are shown cut, ending in "...".
inline constexpr std::size_t kDisplayLimit = 120;

// Control characters as \n, \t, \r or \u00XX; everything else unchanged. Applying it again
// changes nothing, so it can guard a whole message whose values were already quoted.
std::string escape_control(std::string_view text);

// TOML-style: in double quotes, '"' and '\' backslash-escaped, control characters escaped,
// cut after kDisplayLimit bytes (never inside a UTF-8 sequence).
std::string quote(std::string_view text);

}  // namespace wsgid::profile
