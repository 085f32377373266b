#include "render/tls_key_exposure.hpp"

#include <gtest/gtest.h>

#include "render_fixture.hpp"

namespace wsgid::render {
namespace {

using wsgid::testing::load_valid_fixture;

TEST(TlsKeyExposure, TwoSitesBehindOneTlsKeyAreWarnedThatEachAppCanReadIt) {
  auto profile = load_valid_fixture("two_sites");
  profile.server.tls = profile::Tls{};
  profile.server.tls->key = "/etc/wsgid/tls/site.key";
  const auto warnings = tls_key_exposure(profile);
  ASSERT_EQ(warnings.size(), 1U);
  for (const char* part : {"WSGID2043", "server.tls.key", "/etc/wsgid/tls/site.key", "2 sites",
                           "Inherited memory", "terminate TLS in front"}) {
    EXPECT_NE(warnings[0].find(part), std::string::npos) << part << " in " << warnings[0];
  }
  EXPECT_EQ(warnings[0].find(profile.file.string()), std::string("WSGID2043: ").size());
}

TEST(TlsKeyExposure, OneSiteOrNoTlsIsNotWarned) {
  auto tls = load_valid_fixture("tls");
  ASSERT_EQ(tls.sites.size(), 1U);
  EXPECT_TRUE(tls_key_exposure(tls).empty());
  EXPECT_TRUE(tls_key_exposure(load_valid_fixture("two_sites")).empty());
}

}  // namespace
}  // namespace wsgid::render
