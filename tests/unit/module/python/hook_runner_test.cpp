// Hook calls (WSGIAccessScript, WSGIAuth*Script, WSGIDispatchScript) as the worker sends them
// to its in-process daemon: what each answer looks like, and every way a hook can fail.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <ctime>

#include "daemon_harness.hpp"
#include "hook_protocol.hpp"

namespace wsgid::test {
namespace {

constexpr const char* kHooks = R"(
import json
VERSION = 1

def allow_access(environ, host):
    return {'yes': True, 'no': False, 'none': None}.get(environ.get('HTTP_X_ACCESS'), 'bad')

def check_password(environ, user, password):
    if user == 'crash':
        raise ValueError('boom')
    if user == 'alias':
        return 'canonical'
    if user == 'spy':
        return password == 'secret'
    return None

def get_realm_hash(environ, user, realm):
    return None if user != 'spy' else 'hash-of-%s-%s-%d' % (user, realm, VERSION)

def groups_for_user(environ, user):
    if user == 'json':
        # Everything the hook saw, as one group name, for the environ test.
        return [json.dumps(sorted(k for k in environ))]
    return iter(['agents', b'staff'])
)";

Pairs call(const std::string& script, std::string_view kind, const Pairs& args = {},
           const Pairs& extra = {}) {
  Pairs p = cgi(script, "GET", "/", extra);
  p.emplace_back(std::string(hook::kKind), std::string(kind));
  p.emplace_back(std::string(hook::kScript), script);
  p.emplace_back(std::string(hook::kDirective), "WSGITestScript");
  for (const auto& a : args) p.push_back(a);
  return p;
}

std::vector<std::string> values(const Response& r, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

TEST(HookRunner, AllowAccessAnswersAllowDenyOrNone) {
  TempDir dir;
  const auto script = dir.write("hooks.wsgi", kHooks);
  Daemon daemon(dir);
  for (const auto& [header, want] : {std::pair{"yes", "allow"}, {"no", "deny"}, {"none", "none"}}) {
    const Response r = daemon.connect().request(call(script, hook::kAllowAccess,
                                                     {{std::string(hook::kHost), "127.0.0.1"}},
                                                     {{"HTTP_X_ACCESS", header}}));
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.ended);
    EXPECT_EQ(r.header("result"), want) << header;
  }
  // Anything else is the script's bug, not a decision.
  const Response r =
      daemon.connect().request(call(script, hook::kAllowAccess, {{"wsgid.hook.host", "h"}}));
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(daemon.wait_for_log("WSGID0532: allow_access() of WSGITestScript script '" + script +
                                  "' returned a str; it must return True, False or None"));
}

TEST(HookRunner, CheckPasswordAnswersAndCanonicalNames) {
  TempDir dir;
  const auto script = dir.write("hooks.wsgi", kHooks);
  Daemon daemon(dir);
  auto ask = [&](const std::string& user, const std::string& password) {
    return daemon.connect().request(
        call(script, hook::kCheckPassword,
             {{"wsgid.hook.user", user}, {"wsgid.hook.password", password}}));
  };
  EXPECT_EQ(ask("spy", "secret").header("result"), "granted");
  EXPECT_EQ(ask("spy", "wrong").header("result"), "denied");
  EXPECT_EQ(ask("nobody", "x").header("result"), "unknown");
  const Response alias = ask("alias", "x");
  EXPECT_EQ(alias.header("result"), "granted");
  EXPECT_EQ(alias.header("user"), "canonical");
  const Response crash = ask("crash", "x");
  EXPECT_EQ(crash.status, 500);
  EXPECT_TRUE(crash.headers.empty());
  EXPECT_TRUE(daemon.wait_for_log("WSGID0530: WSGITestScript script '" + script +
                                  "' raised in check_password()"));
  EXPECT_TRUE(daemon.wait_for_log("ValueError: boom"));
}

TEST(HookRunner, RealmHashAndGroups) {
  TempDir dir;
  const auto script = dir.write("hooks.wsgi", kHooks);
  Daemon daemon(dir);
  const Response hash = daemon.connect().request(
      call(script, hook::kGetRealmHash, {{"wsgid.hook.user", "spy"}, {"wsgid.hook.realm", "Top"}}));
  EXPECT_EQ(hash.header("result"), "found");
  EXPECT_EQ(hash.header("hash"), "hash-of-spy-Top-1");
  const Response unknown = daemon.connect().request(
      call(script, hook::kGetRealmHash, {{"wsgid.hook.user", "x"}, {"wsgid.hook.realm", "Top"}}));
  EXPECT_EQ(unknown.header("result"), "unknown");
  const Response groups =
      daemon.connect().request(call(script, hook::kGroupsForUser, {{"wsgid.hook.user", "spy"}}));
  EXPECT_EQ(values(groups, "group"), (std::vector<std::string>{"agents", "staff"}));
}

TEST(HookRunner, TheEnvironHasTheRequestButNoHookKeys) {
  TempDir dir;
  const auto script = dir.write("hooks.wsgi", kHooks);
  Daemon daemon(dir);
  const Response r = daemon.connect().request(
      call(script, hook::kGroupsForUser, {{"wsgid.hook.user", "json"}}, {{"HTTP_X_TOKEN", "t"}}));
  ASSERT_EQ(values(r, "group").size(), 1u);
  const std::string keys = values(r, "group")[0];
  EXPECT_NE(keys.find("\"HTTP_X_TOKEN\""), std::string::npos) << keys;
  EXPECT_NE(keys.find("\"REMOTE_ADDR\""), std::string::npos) << keys;
  EXPECT_NE(keys.find("\"wsgi.errors\""), std::string::npos) << keys;
  EXPECT_EQ(keys.find("wsgid.hook"), std::string::npos) << keys;
}

TEST(HookRunner, MissingFunctionOrScriptIsA500WithItsCode) {
  TempDir dir;
  const auto script = dir.write("empty.wsgi", "x = 1\n");
  Daemon daemon(dir);
  EXPECT_EQ(daemon.connect().request(call(script, hook::kAllowAccess)).status, 500);
  EXPECT_TRUE(daemon.wait_for_log("WSGID0531: WSGITestScript script '" + script +
                                  "' defines no allow_access() function"));
  EXPECT_EQ(daemon.connect().request(call(dir.str() + "/missing.wsgi", hook::kAllowAccess)).status,
            500);
  EXPECT_TRUE(daemon.wait_for_log("WSGID0501"));
}

TEST(HookRunner, DispatchAnswersOnlyWhatIsNotNone) {
  TempDir dir;
  const auto script = dir.write("dispatch.wsgi", R"(
def process_group(environ):
    return environ.get('HTTP_X_GROUP')

def callable_object(environ):
    return b'alternative'
)");
  Daemon daemon(dir);
  const Response none = daemon.connect().request(call(script, hook::kDispatch));
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.header("process_group"), "");
  EXPECT_EQ(values(none, "process_group").size(), 0u);
  EXPECT_EQ(none.header("callable_object"), "alternative");
  const Response chosen =
      daemon.connect().request(call(script, hook::kDispatch, {}, {{"HTTP_X_GROUP", "b"}}));
  EXPECT_EQ(chosen.header("process_group"), "b");
}

TEST(HookRunner, AChangedScriptIsExecutedAgainInPlace) {
  TempDir dir;
  const auto script = dir.write("hooks.wsgi", kHooks);
  Daemon daemon(dir);
  const Pairs ask =
      call(script, hook::kGetRealmHash, {{"wsgid.hook.user", "spy"}, {"wsgid.hook.realm", "R"}});
  EXPECT_EQ(daemon.connect().request(ask).header("hash"), "hash-of-spy-R-1");
  std::string v2(kHooks);
  v2.replace(v2.find("VERSION = 1"), 11, "VERSION = 2");
  dir.write("hooks.wsgi", v2);
  const utimbuf later{std::time(nullptr) + 10, std::time(nullptr) + 10};
  ASSERT_EQ(::utime(script.c_str(), &later), 0);
  EXPECT_EQ(daemon.connect().request(ask).header("hash"), "hash-of-spy-R-2");
  // No recycle: a hook script is not the application.
  EXPECT_EQ(daemon.log().find("changed; recycling"), std::string::npos);
}

TEST(HookRunner, WithScriptReloadingOffAChangedScriptIsKept) {
  TempDir dir;
  const auto script = dir.write("hooks.wsgi", kHooks);
  Daemon daemon(dir);
  const Pairs ask =
      call(script, hook::kGetRealmHash, {{"wsgid.hook.user", "spy"}, {"wsgid.hook.realm", "R"}},
           {{"mod_wsgi.script_reloading", "0"}});
  EXPECT_EQ(daemon.connect().request(ask).header("hash"), "hash-of-spy-R-1");
  std::string v2(kHooks);
  v2.replace(v2.find("VERSION = 1"), 11, "VERSION = 2");
  dir.write("hooks.wsgi", v2);
  const utimbuf later{std::time(nullptr) + 10, std::time(nullptr) + 10};
  ASSERT_EQ(::utime(script.c_str(), &later), 0);
  EXPECT_EQ(daemon.connect().request(ask).header("hash"), "hash-of-spy-R-1");
}

}  // namespace
}  // namespace wsgid::test
