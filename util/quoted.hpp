// A value in double quotes, for messages that name what the user wrote.
#pragma once

#include <string>
#include <string_view>

namespace wsgid {

// Appended piecewise: GCC 12 at -O3 reports a false -Wrestrict overlap for the
// `"\"" + std::string(text) + "\""` form (GCC bug 105329).
inline std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  out += text;
  out += '"';
  return out;
}

}  // namespace wsgid
