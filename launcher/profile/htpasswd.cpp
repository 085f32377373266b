#include "htpasswd.hpp"

#include <fstream>

#include "display_text.hpp"

namespace wsgid::profile {
namespace {

// bcrypt as `htpasswd -B` writes it: $2y$ (or $2a$/$2b$), a two-digit cost, then 53 characters
// of salt and hash. Matched by hand: std::regex recurses per character, and a file can hold
// a line of any length.
bool is_bcrypt(std::string_view hash) {
  if (hash.size() != 60 || !hash.starts_with("$2") || hash[3] != '$' || hash[6] != '$') {
    return false;
  }
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!digit(hash[4]) || !digit(hash[5])) return false;
  for (const char c : hash.substr(7)) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || digit(c) || c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

bool is_user(std::string_view user) {
  return !user.empty() && user.find_first_of(" \t") == std::string_view::npos;
}

}  // namespace

std::optional<std::string> htpasswd_problem(std::string_view content) {
  int line_number = 0;
  int users = 0;
  std::size_t start = 0;
  while (start < content.size()) {
    std::size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string line(content.substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto colon = line.find(':');
    const std::string user = colon == std::string::npos ? std::string() : line.substr(0, colon);
    if (!is_user(user) || !is_bcrypt(std::string_view(line).substr(colon + 1))) {
      return "line " + std::to_string(line_number) +
             (user.empty() ? std::string(" is not \"user:hash\"")
                           : " (user " + quote(user) + ") has no bcrypt hash") +
             "; only bcrypt is accepted: write the file with `htpasswd -B`";
    }
    ++users;
  }
  if (users == 0) return std::string("holds no user; add one with `htpasswd -B FILE USER`");
  return std::nullopt;
}

std::optional<std::string> htpasswd_file_problem(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::string("cannot be read");
  // Far more than any team's user list; a bigger file is not an htpasswd file.
  constexpr std::size_t kMaxBytes = 1 << 20;
  std::string content(kMaxBytes + 1, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > kMaxBytes) return std::string("is larger than 1 MiB");
  return htpasswd_problem(content);
}

}  // namespace wsgid::profile
