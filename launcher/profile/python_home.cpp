#include "python_home.hpp"

#include <algorithm>
#include <fstream>
#include <string_view>
#include <system_error>

namespace wsgid::profile {

namespace {

// Hand-written rather than std::regex, whose recursion overflows the stack on a long line.
bool is_number(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// "3.11" from "3.11", "3.11.2" or "3.11.2.final.0"; with `exact`, only from "3.11".
std::optional<std::string> major_minor(std::string_view version, bool exact) {
  const auto dot = version.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view major = version.substr(0, dot);
  const std::string_view rest = version.substr(dot + 1);
  const auto end = rest.find('.');
  const std::string_view minor = rest.substr(0, end);
  if (!is_number(major) || !is_number(minor) || (exact && end != std::string_view::npos)) {
    return std::nullopt;
  }
  return std::string(major) + "." + std::string(minor);
}

}  // namespace

std::string embedded_python_version() { return WSGID_PYTHON_VERSION; }
std::string embedded_python_release() { return WSGID_PYTHON_VERSION_FULL; }
std::string embedded_python_executable() { return WSGID_PYTHON_EXECUTABLE; }

std::optional<std::string> python_home_version(const std::filesystem::path& home) {
  namespace fs = std::filesystem;
  std::ifstream config(home / "pyvenv.cfg");
  if (config) {
    // venv writes "version = 3.11.2"; virtualenv writes "version_info = 3.11.2.final.0".
    std::string line;
    while (std::getline(config, line)) {
      const auto equals = line.find('=');
      if (equals == std::string::npos) continue;
      const std::string_view key = trimmed(std::string_view(line).substr(0, equals));
      if (key != "version" && key != "version_info") continue;
      if (auto version = major_minor(trimmed(std::string_view(line).substr(equals + 1)), false)) {
        return version;
      }
    }
  }
  // An installation prefix: the standard library lives in lib/pythonX.Y. Prefer the embedded
  // version when several are present (Debian's /usr may hold more than one).
  std::error_code error;
  if (fs::is_directory(home / "lib" / ("python" + embedded_python_version()), error)) {
    return embedded_python_version();
  }
  std::optional<std::string> found;
  for (fs::directory_iterator it(home / "lib", error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!it->is_directory(error) || !name.starts_with("python")) continue;
    if (auto version = major_minor(std::string_view(name).substr(6), true)) {
      if (!found || *version > *found) found = version;
    }
  }
  return found;
}

}  // namespace wsgid::profile
