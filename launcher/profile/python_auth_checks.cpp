#include "python_auth_checks.hpp"

#include "codes.hpp"

namespace wsgid::profile {
namespace {

void report(std::string_view code, const toml::node& node, const std::string& path,
            const WalkInput& input, std::string message, std::vector<Diagnostic>& out) {
  const auto& position = node.source().begin;
  out.push_back({std::string(code), input.file, static_cast<int>(position.line),
                 static_cast<int>(position.column), path, std::move(message)});
}

}  // namespace

void check_python_auth(const toml::table& site, const std::string& site_path,
                       const WalkInput& input, std::vector<Diagnostic>& out) {
  const auto* auth = site.get_as<toml::table>("python_auth");
  if (auth == nullptr) return;
  const std::string path = site_path + ".python_auth";
  const toml::node* check_password = auth->get("check_password");
  const toml::node* groups_for_user = auth->get("groups_for_user");
  const toml::node* allow_access = auth->get("allow_access");
  const toml::node* groups = auth->get("groups");
  if (check_password == nullptr && groups_for_user == nullptr && allow_access == nullptr) {
    // The table exists once anything is written in it; defaults have no position.
    for (auto&& [key, value] : *auth) {
      if (value.source().begin.line == 0) continue;
      report(code::kNoPythonHook, value, path + "." + std::string(key.str()), input,
             "python_auth names no hook: add check_password, groups_for_user or allow_access "
             "(\"package.module:function\"), or remove [python_auth]",
             out);
      return;
    }
    return;
  }
  if (groups_for_user != nullptr && groups == nullptr) {
    report(code::kGroupsWithoutHook, *groups_for_user, path + ".groups_for_user", input,
           "groups_for_user needs the groups a user must be in: add groups = [\"staff\"] (any "
           "one of them admits the user)",
           out);
  }
  if (groups != nullptr && groups_for_user == nullptr) {
    report(code::kGroupsWithoutHook, *groups, path + ".groups", input,
           "groups is checked by groups_for_user, which is not set: add groups_for_user = "
           "\"package.module:function\" or remove groups",
           out);
  }
  if (groups_for_user != nullptr && check_password == nullptr) {
    report(code::kGroupsWithoutPassword, *groups_for_user, path + ".groups_for_user", input,
           "groups_for_user needs a user, but nothing checks passwords: add check_password = "
           "\"package.module:function\"",
           out);
  }
  if (check_password != nullptr && site.at_path("basic_auth.htpasswd").node() != nullptr) {
    report(code::kTwoPasswordChecks, *check_password, path + ".check_password", input,
           "the site also has basic_auth.htpasswd: one site checks passwords one way; keep "
           "check_password or basic_auth, not both",
           out);
  }
}

}  // namespace wsgid::profile
