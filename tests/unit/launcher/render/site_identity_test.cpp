#include "render/site_identity.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "render_fixture.hpp"
#include "temp_dir.hpp"

namespace wsgid::render {
namespace {

using wsgid::testing::load_valid_fixture;

// A system that knows only `taken` uids/gids and the users named here.
AccountLookup fake_system(std::set<uid_t> taken) {
  AccountLookup lookup;
  lookup.user = [](const std::string& name) -> std::optional<SiteIdentity> {
    if (name == "www-data") return SiteIdentity{33, 33, false};
    if (name == "nobody") return SiteIdentity{65534, 65534, false};
    return std::nullopt;
  };
  lookup.group = [](const std::string& name) -> std::optional<gid_t> {
    if (name == "www-data") return 33;
    if (name == "nogroup") return 65534;
    return std::nullopt;
  };
  lookup.uid_taken = [taken](uid_t uid) { return taken.contains(uid); };
  lookup.gid_taken = [taken](gid_t gid) { return taken.contains(gid); };
  return lookup;
}

TEST(SiteIdentity, GivesEachSiteWithoutAUserItsOwnStableUidInTheRange) {
  const auto profile = load_valid_fixture("two_sites");
  const auto first = assign_identities(profile, fake_system({}));
  ASSERT_EQ(first.error, "");
  const auto& shop = first.identities.sites.at("shop");
  const auto& api = first.identities.sites.at("api");
  EXPECT_TRUE(shop.derived);
  EXPECT_NE(shop.uid, api.uid);
  for (const auto& id : {shop, api}) {
    EXPECT_GE(id.uid, kFirstSiteUid);
    EXPECT_LT(id.uid, kFirstSiteUid + kSiteUidCount);
    EXPECT_EQ(id.gid, id.uid);
  }
  EXPECT_EQ(first.identities.worker_gid, 33U);
  const auto again = assign_identities(profile, fake_system({}));
  EXPECT_EQ(again.identities.sites.at("shop").uid, shop.uid);
}

TEST(SiteIdentity, DependsOnTheProfilesPathSoTwoProfilesDoNotShareUids) {
  auto profile = load_valid_fixture("two_sites");
  const uid_t here = derived_uid_candidate(profile, profile.sites[0]);
  profile.file = "/elsewhere/site.toml";
  EXPECT_NE(derived_uid_candidate(profile, profile.sites[0]), here);
}

TEST(SiteIdentity, SkipsAUidOrGidTheSystemAlreadyHas) {
  const auto profile = load_valid_fixture("two_sites");
  const uid_t candidate = derived_uid_candidate(profile, profile.sites[0]);
  const auto result = assign_identities(profile, fake_system({candidate}));
  ASSERT_EQ(result.error, "");
  EXPECT_NE(result.identities.sites.at("shop").uid, candidate);
}

TEST(SiteIdentity, KeepsTheUserAndGroupTheProfileNames) {
  const auto profile = load_valid_fixture("full");  // daemon.user = "nobody", group "nogroup"
  const auto result = assign_identities(profile, fake_system({}));
  ASSERT_EQ(result.error, "");
  const auto& shop = result.identities.sites.at("shop");
  EXPECT_FALSE(shop.derived);
  EXPECT_EQ(shop.uid, 65534U);
  EXPECT_EQ(shop.gid, 65534U);
}

TEST(SiteIdentity, ReportsAFullRangeWithItsCodeAndTheFix) {
  const auto profile = load_valid_fixture("minimal");
  AccountLookup everything_taken = fake_system({});
  everything_taken.uid_taken = [](uid_t) { return true; };
  const auto result = assign_identities(profile, everything_taken);
  EXPECT_NE(result.error.find("WSGID2040"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("daemon.user"), std::string::npos) << result.error;
}

TEST(SiteIdentity, WarnsWhenASiteOfItsOwnUidCannotReachItsApp) {
  namespace fs = std::filesystem;
  wsgid::testing::TempDir tmp;
  fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::others_exec |
                                  fs::perms::group_exec | fs::perms::others_read);
  fs::create_directories(tmp.path() / "open");
  fs::create_directories(tmp.path() / "closed");
  fs::permissions(tmp.path() / "closed", fs::perms::owner_all);
  for (const char* dir : {"open", "closed"}) std::ofstream(tmp.path() / dir / "app.py") << "";
  auto profile = load_valid_fixture("minimal");
  Identities ids;
  ids.privileged = true;
  ids.sites["shop"] = {800100, 800100, true};

  profile.sites[0].app.script = tmp.path() / "open" / "app.py";
  EXPECT_TRUE(unreadable_app_paths(profile, ids).empty());

  profile.sites[0].app.script = tmp.path() / "closed" / "app.py";
  const auto warnings = unreadable_app_paths(profile, ids);
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("WSGID2042"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find((tmp.path() / "closed").string() + " gives others no access"),
            std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("daemon.user"), std::string::npos) << warnings[0];

  ids.sites["shop"].derived = false;  // a named user: its own permissions, not ours to guess
  EXPECT_TRUE(unreadable_app_paths(profile, ids).empty());
}

}  // namespace
}  // namespace wsgid::render
