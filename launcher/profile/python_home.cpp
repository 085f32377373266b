#include "python_home.hpp"

#include <fstream>
#include <regex>
#include <system_error>

namespace wsgid::profile {

std::string embedded_python_version() { return WSGID_PYTHON_VERSION; }
std::string embedded_python_release() { return WSGID_PYTHON_VERSION_FULL; }
std::string embedded_python_executable() { return WSGID_PYTHON_EXECUTABLE; }

std::optional<std::string> python_home_version(const std::filesystem::path& home) {
  namespace fs = std::filesystem;
  std::ifstream config(home / "pyvenv.cfg");
  if (config) {
    // venv writes "version = 3.11.2"; virtualenv writes "version_info = 3.11.2.final.0".
    static const std::regex kVersionLine(
        R"(^\s*(version|version_info)\s*=\s*(\d+)\.(\d+)(\..*)?\s*$)");
    std::string line;
    while (std::getline(config, line)) {
      std::smatch match;
      if (std::regex_match(line, match, kVersionLine)) {
        return match[2].str() + "." + match[3].str();
      }
    }
  }
  // An installation prefix: the standard library lives in lib/pythonX.Y. Prefer the embedded
  // version when several are present (Debian's /usr may hold more than one).
  std::error_code error;
  if (fs::is_directory(home / "lib" / ("python" + embedded_python_version()), error)) {
    return embedded_python_version();
  }
  static const std::regex kLibDir(R"(python(\d+)\.(\d+))");
  std::optional<std::string> found;
  for (fs::directory_iterator it(home / "lib", error), end; !error && it != end;
       it.increment(error)) {
    std::smatch match;
    const std::string name = it->path().filename().string();
    if (it->is_directory(error) && std::regex_match(name, match, kLibDir)) {
      const std::string version = match[1].str() + "." + match[2].str();
      if (!found || version > *found) found = version;
    }
  }
  return found;
}

}  // namespace wsgid::profile
