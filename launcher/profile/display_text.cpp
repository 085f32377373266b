#include "display_text.hpp"

namespace wsgid::profile {
namespace {

void append_escaped(std::string& out, char c) {
  const auto u = static_cast<unsigned char>(c);
  if (c == '\n') {
    out += "\\n";
  } else if (c == '\t') {
    out += "\\t";
  } else if (c == '\r') {
    out += "\\r";
  } else if (u < 0x20 || u == 0x7f) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "\\u00";
    out += kHex[u >> 4];
    out += kHex[u & 0xF];
  } else {
    out += c;
  }
}

}  // namespace

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) append_escaped(out, c);
  return out;
}

std::string quote(std::string_view text) {
  bool cut = false;
  if (text.size() > kDisplayLimit) {
    std::size_t end = kDisplayLimit;
    // Back up over UTF-8 continuation bytes so the shown part stays valid UTF-8.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
    cut = true;
  }
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    append_escaped(out, c);
  }
  if (cut) out += "...";
  return out + "\"";
}

}  // namespace wsgid::profile
