#include "seccomp_policy.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace wsgid::profile {
namespace {

std::vector<std::string> names(const toml::table& table, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* array = table.get_as<toml::array>(key)) {
    for (const toml::node& element : *array) {
      out.push_back(element.value<std::string>().value_or(""));
    }
  }
  return out;
}

}  // namespace

sandbox::Policy read_seccomp_policy(const toml::table& sandbox_table) {
  sandbox::Policy policy;
  policy.base = sandbox_table["seccomp"].value<std::string>().value_or("");
  policy.allow = names(sandbox_table, "allow");
  policy.deny = names(sandbox_table, "deny");
  if (const auto action = sandbox_table["action"].value<std::string>()) {
    policy.action = sandbox::parse_action(*action).value_or(policy.action);
  }
  return policy;
}

}  // namespace wsgid::profile
