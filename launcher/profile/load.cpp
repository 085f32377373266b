#include "load.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include "build_model.hpp"
#include "codes.hpp"
#include "cross_checks.hpp"
#include "profile_schema.hpp"
#include "walker.hpp"

namespace wsgid::profile {

LoadResult load_profile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::error_code error;
  if (!in || std::filesystem::is_directory(file, error)) {
    LoadResult result;
    result.diagnostics.push_back({std::string(code::kUnreadable), file, 0, 0, "",
                                  "cannot read the profile file; check that the path exists and "
                                  "is a readable file"});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_profile_text(text.str(), file);
}

LoadResult load_profile_text(std::string_view text, const std::string& file) {
  LoadResult result;
  const std::filesystem::path absolute = std::filesystem::absolute(file).lexically_normal();
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& error) {
    const auto& position = error.source().begin;
    result.diagnostics.push_back({std::string(code::kSyntax), file, static_cast<int>(position.line),
                                  static_cast<int>(position.column), "",
                                  "invalid TOML: " + std::string(error.description())});
    return result;
  }
  const WalkInput input{file, {absolute.parent_path()}};
  walk(root, profile_schema(), input, result.diagnostics);
  cross_check(root, input, result.diagnostics);
  sort_by_position(result.diagnostics);
  if (result.diagnostics.empty()) result.profile = build_model(root, absolute);
  return result;
}

}  // namespace wsgid::profile
