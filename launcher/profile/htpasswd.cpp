#include "htpasswd.hpp"

#include <fstream>
#include <iterator>
#include <regex>

namespace wsgid::profile {

std::optional<std::string> htpasswd_problem(std::string_view content) {
  // bcrypt as htpasswd -B writes it: $2y$ (or $2a$/$2b$), a two-digit cost, 53 characters of
  // salt and hash.
  static const std::regex kLine("[^:\\s]+:\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}");
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
    if (!std::regex_match(line, kLine)) {
      const auto colon = line.find(':');
      const std::string user = colon == std::string::npos ? std::string() : line.substr(0, colon);
      return "line " + std::to_string(line_number) +
             (user.empty() ? std::string(" is not \"user:hash\"")
                           : " (user \"" + user + "\") has no bcrypt hash") +
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
  const std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return htpasswd_problem(content);
}

}  // namespace wsgid::profile
