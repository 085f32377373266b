#include "directive_arg.hpp"

#include <stdexcept>

namespace wsgid::render {

std::string directive_arg(std::string_view value) {
  std::string out = "\"";
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      throw std::invalid_argument("control character in httpd directive argument");
    }
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '$' && i + 1 < value.size() && value[i + 1] == '{') {
      out += "${";
      out += kDollarDefine;
      out += '}';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string python_string_literal(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;  // UTF-8 passes through: generated files are UTF-8, Python's default
    }
  }
  return out + "'";
}

}  // namespace wsgid::render
