#include "prometheus_text.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace wsgid::status {
namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// A cursor over one line; every reader returns false with `error` set on malformed input.
class LineReader {
 public:
  explicit LineReader(std::string_view line) : line_(line) {}

  bool sample(Sample& out) {
    if (!name(out.name, true)) return false;
    if (peek() == '{' && !labels(out.labels)) return false;
    if (!spaces()) return fail("expected a space before the value");
    const std::string_view value = token();
    if (!number(value, out.value))
      return fail(std::string("\"").append(value).append("\" is not a number"));
    if (spaces() && !at_end()) {
      const std::string_view timestamp = token();
      double ignored = 0;
      if (!number(timestamp, ignored)) {
        return fail(std::string("\"").append(timestamp).append("\" is not a timestamp"));
      }
    }
    spaces();
    return at_end() || fail("unexpected text after the value");
  }

  const std::string& error() const { return error_; }

 private:
  char peek() const { return pos_ < line_.size() ? line_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= line_.size(); }

  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool spaces() {
    const std::size_t start = pos_;
    while (peek() == ' ' || peek() == '\t') ++pos_;
    return pos_ > start;
  }

  std::string_view token() {
    const std::size_t start = pos_;
    while (!at_end() && peek() != ' ' && peek() != '\t') ++pos_;
    return line_.substr(start, pos_ - start);
  }

  bool name(std::string& out, bool metric) {
    const std::size_t start = pos_;
    if (!is_name_start(peek()) || (!metric && peek() == ':')) {
      return fail(metric ? "expected a metric name" : "expected a label name");
    }
    while (is_name_char(peek()) && (metric || peek() != ':')) ++pos_;
    out.assign(line_.substr(start, pos_ - start));
    return true;
  }

  bool labels(std::vector<std::pair<std::string, std::string>>& out) {
    ++pos_;  // '{'
    while (true) {
      spaces();
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      std::string key;
      if (!name(key, false)) return false;
      spaces();
      if (peek() != '=') return fail("expected '=' after label " + key);
      ++pos_;
      spaces();
      std::string value;
      if (!quoted(value)) return false;
      out.emplace_back(std::move(key), std::move(value));
      spaces();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        return fail("expected ',' or '}' after a label value");
      }
    }
  }

  bool quoted(std::string& out) {
    if (peek() != '"') return fail("expected a quoted label value");
    ++pos_;
    while (!at_end()) {
      const char c = line_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      const char escaped = peek();
      ++pos_;
      if (escaped == 'n') {
        out += '\n';
      } else if (escaped == '\\' || escaped == '"') {
        out += escaped;
      } else {
        return fail("unknown escape in a label value");
      }
    }
    return fail("unterminated label value");
  }

  static bool number(std::string_view text, double& out) {
    if (text == "+Inf" || text == "Inf") {
      out = std::numeric_limits<double>::infinity();
      return true;
    }
    if (text == "-Inf") {
      out = -std::numeric_limits<double>::infinity();
      return true;
    }
    if (text == "NaN") {
      out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (text.empty()) return false;
    const std::string copy(text);
    char* end = nullptr;
    out = std::strtod(copy.c_str(), &end);
    return end == copy.c_str() + copy.size() && std::isfinite(out);
  }

  std::string_view line_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::optional<std::string_view> Sample::label(std::string_view key) const {
  for (const auto& [name, value] : labels) {
    if (name == key) return value;
  }
  return std::nullopt;
}

ParsedMetrics parse_prometheus_text(std::string_view text) {
  ParsedMetrics parsed;
  int number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    line.remove_prefix(first);
    LineReader reader(line);
    Sample sample;
    if (!reader.sample(sample)) {
      return {{}, "line " + std::to_string(number) + ": " + reader.error()};
    }
    parsed.samples.push_back(std::move(sample));
  }
  return parsed;
}

}  // namespace wsgid::status
