// What the value checks share: reading a value's text, the Problem wording, and hand-written
// character matchers. Private to checks.cpp and machine_checks.cpp.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "codes.hpp"
#include "display_text.hpp"
#include "schema.hpp"
#include "walker.hpp"

namespace wsgid::profile::checks::support {

inline std::string text_of(const toml::node& value) {
  return value.value<std::string>().value_or("");
}

inline Problem problem(std::string_view code, const toml::node& value, std::string_view what) {
  return {code, describe_value(value) + " is not " + std::string(what)};
}

// Hand-written matchers, not std::regex: libstdc++'s regex recurses per character and
// overflows the stack on long input (a 100 KB mount point was a segfault).
inline bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

template <typename Predicate>
inline bool all_chars(std::string_view text, Predicate predicate) {
  return std::all_of(text.begin(), text.end(), predicate);
}

// [A-Za-z_][A-Za-z0-9_]*
inline bool is_identifier(std::string_view text) {
  return !text.empty() && (is_alpha(text[0]) || text[0] == '_') &&
         all_chars(text, [](char c) { return is_alnum(c) || c == '_'; });
}

// A label of a host name: 1 to 63 letters, digits or '-', not starting or ending with '-'.
inline bool is_host_label(std::string_view label) {
  return !label.empty() && label.size() <= 63 && is_alnum(label.front()) &&
         is_alnum(label.back()) && all_chars(label, [](char c) { return is_alnum(c) || c == '-'; });
}

// Splits on `separator` and asks `part` about each piece (empty pieces included).
template <typename Part>
inline bool all_parts(std::string_view text, char separator, Part part) {
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    if (!part(text.substr(start, end - start))) return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

// '*', '?' and '[' make httpd treat a <Location>, <Directory> or <Files> argument as a
// wildcard pattern rather than the literal path the author wrote.
inline bool has_glob_character(std::string_view text) {
  return text.find_first_of("*?[") != std::string_view::npos;
}

inline std::optional<Problem> glob_problem(const toml::node& value, std::string_view section,
                                           std::string_view fix) {
  return Problem{code::kGlobCharacter,
                 describe_value(value) + " contains '*', '?' or '[', which httpd reads as a " +
                     "wildcard in <" + std::string(section) + ">, so it would match other " +
                     "paths too; " + std::string(fix)};
}

}  // namespace wsgid::profile::checks::support
