// Which Python a python home (a virtualenv or an installation prefix) was made for, so a
// venv built for another version is refused before httpd starts daemons that would crash.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace wsgid::profile {

// The version the module embeds ("3.11"): the one a python home must be for.
std::string embedded_python_version();

// The full release the module was built against ("3.11.2"), for --version and the ready line.
std::string embedded_python_release();

// The interpreter the build embeds (WSGID_PYTHON, e.g. "/usr/bin/python3"): what makes a
// matching virtualenv.
std::string embedded_python_executable();

// "3.11" for a home whose pyvenv.cfg says version 3.11.x, or that has lib/python3.11;
// nullopt when the directory does not look like a python home at all.
std::optional<std::string> python_home_version(const std::filesystem::path& home);

}  // namespace wsgid::profile
