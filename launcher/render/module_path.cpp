#include "module_path.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace wsgid::render {

std::string resolve_module_path(const std::optional<std::string>& flag) {
  if (flag) return std::filesystem::absolute(*flag).lexically_normal().string();
  if (const char* env = std::getenv("WSGID_MODULE"); env != nullptr && *env != '\0') {
    return std::filesystem::absolute(env).lexically_normal().string();
  }
  std::error_code error;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto built = (exe.parent_path() / ".." / "module" / "mod_wsgid.so").lexically_normal();
    if (std::filesystem::is_regular_file(built, error)) return built.string();
  }
  return kInstalledModulePath;
}

}  // namespace wsgid::render
