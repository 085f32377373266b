// The one escaping function for values placed in httpd directive arguments.
#pragma once

#include <string>
#include <string_view>

namespace wsgid::render {

// Defined as "$" at the top of every rendered httpd.conf: httpd substitutes ${NAME} on the raw
// line before splitting arguments and has no escape for it, so a literal "${" is written as
// "${WSGID_DOLLAR}{", which httpd turns back into "${" without further expansion.
inline constexpr std::string_view kDollarDefine = "WSGID_DOLLAR";

// Returns `value` as one double-quoted httpd argument that httpd reads back byte for byte:
// '\' and '"' are backslash-escaped and "${" cannot name a variable. Control characters
// (newlines above all) cannot be represented and would start a new directive, so they are
// a broken invariant here (validation refuses them): std::invalid_argument.
// '%' needs no escape: httpd's parser gives it no meaning; directives that expand %{...}
// themselves only ever receive values that validation restricted.
std::string directive_arg(std::string_view value);

// A Python str literal for generated Python files ('...' with backslash escapes).
std::string python_string_literal(std::string_view value);

}  // namespace wsgid::render
