// Where LoadModule finds mod_wsgid.so.
#pragma once

#include <optional>
#include <string>

namespace wsgid::render {

inline constexpr const char* kInstalledModulePath = "/usr/lib/apache2/modules/mod_wsgid.so";

// In order: the --module flag, $WSGID_MODULE, <dir of this executable>/../module/mod_wsgid.so
// when it exists (running from a build tree), else the installed path.
std::string resolve_module_path(const std::optional<std::string>& flag);

}  // namespace wsgid::render
