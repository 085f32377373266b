// Which Python a python home (a virtualenv or an installation prefix) was made for, so a
// venv built for another version is refused before httpd starts daemons that would crash.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace wsgid::profile {

// The version the module embeds ("3.11"), from the build's Python3_VERSION_MAJOR/MINOR.
std::string embedded_python_version();

// "3.11" for a home whose pyvenv.cfg says version 3.11.x, or that has lib/python3.11;
// nullopt when the directory does not look like a python home at all.
std::optional<std::string> python_home_version(const std::filesystem::path& home);

}  // namespace wsgid::profile
