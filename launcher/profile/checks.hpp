// Value checks the profile schema refers to by name. Each returns what is wrong (with the
// accepted form) or nothing; path checks also rewrite relative paths to absolute ones.
#pragma once

#include "schema.hpp"

namespace wsgid::profile::checks {

std::optional<Problem> duration(toml::node& value, const CheckContext& context);
std::optional<Problem> whole_seconds(toml::node& value, const CheckContext& context);
std::optional<Problem> size(toml::node& value, const CheckContext& context);
std::optional<Problem> memory_limit(toml::node& value, const CheckContext& context);
std::optional<Problem> up_to_a_year(toml::node& value, const CheckContext& context);
std::optional<Problem> listen(toml::node& value, const CheckContext& context);
std::optional<Problem> site_name(toml::node& value, const CheckContext& context);
std::optional<Problem> account_name(toml::node& value, const CheckContext& context);
// account_name, and the account exists on this machine and is not root.
std::optional<Problem> user_account(toml::node& value, const CheckContext& context);
std::optional<Problem> group_account(toml::node& value, const CheckContext& context);
std::optional<Problem> host_name(toml::node& value, const CheckContext& context);
std::optional<Problem> host_alias(toml::node& value, const CheckContext& context);
std::optional<Problem> url_path(toml::node& value, const CheckContext& context);
std::optional<Problem> env_name(toml::node& value, const CheckContext& context);
std::optional<Problem> display_name(toml::node& value, const CheckContext& context);
std::optional<Problem> endpoint_path(toml::node& value, const CheckContext& context);
std::optional<Problem> client_network(toml::node& value, const CheckContext& context);
// client_network without "all": a proxy network must be named.
std::optional<Problem> trusted_proxy(toml::node& value, const CheckContext& context);

std::optional<Problem> app(toml::node& value, const CheckContext& context);
std::optional<Problem> existing_directory(toml::node& value, const CheckContext& context);
// existing_directory without wildcard characters, as it becomes a <Directory> section.
std::optional<Problem> static_directory(toml::node& value, const CheckContext& context);
std::optional<Problem> python_path_entry(toml::node& value, const CheckContext& context);
// sandbox.read / sandbox.write: an existing absolute path without ':'.
std::optional<Problem> sandbox_path(toml::node& value, const CheckContext& context);
std::optional<Problem> python_home(toml::node& value, const CheckContext& context);
std::optional<Problem> log_target(toml::node& value, const CheckContext& context);
std::optional<Problem> log_file(toml::node& value, const CheckContext& context);
// basic_auth.htpasswd: an existing file of bcrypt entries only.
std::optional<Problem> htpasswd_file(toml::node& value, const CheckContext& context);
std::optional<Problem> realm(toml::node& value, const CheckContext& context);
// python_auth hooks: "package.module:function".
std::optional<Problem> python_hook(toml::node& value, const CheckContext& context);
// A name for `Require wsgi-group`.
std::optional<Problem> group_name(toml::node& value, const CheckContext& context);

// True for "package.module:callable".
bool is_module_app(std::string_view app);

}  // namespace wsgid::profile::checks
