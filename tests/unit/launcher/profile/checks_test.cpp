#include "profile/checks.hpp"

#include <gtest/gtest.h>

#include <string>

#include "profile/codes.hpp"

namespace wsgid::profile::checks {
namespace {

std::optional<Problem> run(Check check, const std::string& text) {
  toml::value<std::string> value{text};
  return check(value, CheckContext{"/"});
}

std::string_view code_of(const std::optional<Problem>& problem) {
  return problem ? problem->code : std::string_view("ok");
}

// Well past where std::regex's recursion overflowed an 8 MiB stack: the checks must not depend
// on the walker's length cap to survive.
const std::string kHuge = [] {
  std::string text;
  while (text.size() < (1 << 20)) text += "/a";
  return text;
}();

TEST(Checks, SurviveAMegabyteOfInput) {
  EXPECT_FALSE(run(url_path, kHuge));
  EXPECT_EQ(code_of(run(env_name, std::string(1 << 20, 'A'))), "ok");
  EXPECT_EQ(code_of(run(host_name, std::string(1 << 20, 'a'))), code::kBadHostName);
  std::string module;
  while (module.size() < (1 << 20)) module += "a.";
  EXPECT_TRUE(is_module_app(module + "a:app"));
  EXPECT_FALSE(is_module_app(module + ":app"));
}

TEST(Checks, TrustedProxiesAreNetworksButNeverEveryone) {
  EXPECT_EQ(code_of(run(trusted_proxy, "10.0.0.0/8")), "ok");
  EXPECT_EQ(code_of(run(trusted_proxy, "192.0.2.7")), "ok");
  EXPECT_EQ(code_of(run(trusted_proxy, "fd00::/8")), "ok");
  EXPECT_EQ(code_of(run(trusted_proxy, "all")), code::kTrustEveryone);
  EXPECT_EQ(code_of(run(trusted_proxy, "0.0.0.0/0")), code::kTrustEveryone);
  EXPECT_EQ(code_of(run(trusted_proxy, "::/0")), code::kTrustEveryone);
  EXPECT_EQ(code_of(run(trusted_proxy, "10.1.0.0/8")), code::kBadClientNetwork);
  EXPECT_EQ(code_of(run(trusted_proxy, "ingress.local")), code::kBadClientNetwork);
  // health.allow keeps its own wording and "all".
  EXPECT_EQ(code_of(run(client_network, "all")), "ok");
  EXPECT_EQ(code_of(run(client_network, "0.0.0.0/0")), code::kBadClientNetwork);
}

TEST(Checks, PythonHooksAndGroupNames) {
  EXPECT_EQ(code_of(run(python_hook, "shop.auth:check_password")), "ok");
  EXPECT_EQ(code_of(run(python_hook, "auth:check")), "ok");
  EXPECT_EQ(code_of(run(python_hook, "shop/auth.py")), code::kBadPythonHook);
  EXPECT_EQ(code_of(run(python_hook, "auth:check; import os")), code::kBadPythonHook);
  EXPECT_EQ(code_of(run(python_hook, "auth")), code::kBadPythonHook);
  EXPECT_EQ(code_of(run(group_name, "staff")), "ok");
  EXPECT_EQ(code_of(run(group_name, "ops@example.com")), "ok");
  EXPECT_EQ(code_of(run(group_name, "staff team")), code::kBadGroupName);
  EXPECT_EQ(code_of(run(group_name, "\"x\"")), code::kBadGroupName);
  EXPECT_EQ(code_of(run(group_name, "")), code::kBadGroupName);
}

TEST(Checks, UrlPaths) {
  EXPECT_EQ(code_of(run(url_path, "/")), "ok");
  EXPECT_EQ(code_of(run(url_path, "/shop/v1.2~x")), "ok");
  EXPECT_EQ(code_of(run(url_path, "/shop/")), code::kBadUrlPath);
  EXPECT_EQ(code_of(run(url_path, "/a//b")), code::kBadUrlPath);
  EXPECT_EQ(code_of(run(url_path, "/a/../b")), code::kBadUrlPath);
  EXPECT_EQ(code_of(run(url_path, "/a/.")), code::kBadUrlPath);
  EXPECT_EQ(code_of(run(url_path, "/a b")), code::kBadUrlPath);
  EXPECT_EQ(code_of(run(url_path, "shop")), code::kBadUrlPath);
  EXPECT_EQ(code_of(run(url_path, "/sh*p")), code::kGlobCharacter);
  EXPECT_EQ(code_of(run(url_path, "/sh?p")), code::kBadUrlPath);
}

TEST(Checks, NamesAndHosts) {
  EXPECT_EQ(code_of(run(site_name, "shop-2_x")), "ok");
  EXPECT_EQ(code_of(run(site_name, "-shop")), code::kBadName);
  EXPECT_EQ(code_of(run(site_name, std::string(64, 'a'))), code::kBadName);
  EXPECT_EQ(code_of(run(account_name, "#33")), "ok");
  EXPECT_EQ(code_of(run(account_name, "#")), code::kBadName);
  EXPECT_EQ(code_of(run(account_name, "9www")), code::kBadName);
  EXPECT_EQ(code_of(run(host_name, "shop.example.com")), "ok");
  EXPECT_EQ(code_of(run(host_name, "shop-.example.com")), code::kBadHostName);
  EXPECT_EQ(code_of(run(host_name, "shop..com")), code::kBadHostName);
  EXPECT_EQ(code_of(run(host_name, std::string(64, 'a') + ".com")), code::kBadHostName);
  EXPECT_EQ(code_of(run(display_name, "%{GROUP}")), "ok");
  EXPECT_EQ(code_of(run(display_name, "%{ENV:HOME}")), code::kBadDisplayName);
  EXPECT_FALSE(is_module_app("pkg.mod:"));
  EXPECT_FALSE(is_module_app("1pkg:app"));
  EXPECT_TRUE(is_module_app("_pkg.mod2:application"));
}

TEST(Checks, AccountsMustExistAndNotBeRoot) {
  EXPECT_EQ(code_of(run(user_account, "www-data")), "ok");
  EXPECT_EQ(code_of(run(group_account, "www-data")), "ok");
  EXPECT_EQ(code_of(run(user_account, "#33")), "ok");
  EXPECT_EQ(code_of(run(user_account, "no-such-user-wsgid")), code::kUnknownAccount);
  EXPECT_EQ(code_of(run(user_account, "root")), code::kRootAccount);
  EXPECT_EQ(code_of(run(group_account, "#00")), code::kRootAccount);
}

}  // namespace
}  // namespace wsgid::profile::checks
