#include "diagnostic.hpp"

#include <algorithm>
#include <tuple>

#include "display_text.hpp"

namespace wsgid::profile {

std::string format(const Diagnostic& d) {
  std::string out = escape_control(d.file);
  if (d.line > 0) {
    out += ':' + std::to_string(d.line) + ':' + std::to_string(d.column);
  }
  out += (d.warning ? ": warning " : ": error ") + d.code + ": ";
  // Every echoed value is escaped here once more, whichever check built the message: a
  // control character must never turn one diagnostic into several lines.
  if (!d.key_path.empty()) out += escape_control(d.key_path) + ": ";
  out += escape_control(d.message);
  return out;
}

void sort_by_position(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
}

}  // namespace wsgid::profile
