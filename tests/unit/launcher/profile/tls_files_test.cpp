#include "profile/tls_files.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "profile/codes.hpp"
#include "temp_dir.hpp"

namespace wsgid::profile {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

const fs::path kTls = fs::path(WSGID_FIXTURES_DIR) / "valid" / "tls";

TlsInspection inspect(const fs::path& cert, const fs::path& key,
                      std::optional<fs::path> chain = std::nullopt,
                      Clock::time_point now = Clock::now()) {
  return inspect_tls_files(cert, key, chain, now);
}

std::string codes(const std::vector<TlsFinding>& findings) {
  std::string out;
  for (const auto& f : findings) out += (out.empty() ? "" : " ") + f.code;
  return out;
}

TEST(TlsFiles, AMatchingPairWithItsChainIsAcceptedAndNamesItsOcspResponder) {
  const auto found = inspect(kTls / "site.crt", kTls / "site.key", kTls / "ca.crt");
  EXPECT_EQ(codes(found.errors), "");
  EXPECT_EQ(codes(found.warnings), "");
  EXPECT_TRUE(found.ocsp_responder);
  EXPECT_EQ(found.digest.size(), 64U);
}

TEST(TlsFiles, ACertificateWithoutAnOcspUrlCannotBeStapled) {
  const auto found = inspect(kTls / "../../../../../profiles/tls/site.crt",
                             kTls / "../../../../../profiles/tls/site.key");
  EXPECT_EQ(codes(found.errors), "");
  EXPECT_FALSE(found.ocsp_responder);
}

TEST(TlsFiles, WarnsThirtyDaysBeforeExpiryAndRefusesAfterIt) {
  const auto end = inspect(kTls / "site.crt", kTls / "site.key").not_after;
  const auto soon =
      inspect(kTls / "site.crt", kTls / "site.key", {}, end - std::chrono::hours(240));
  EXPECT_EQ(codes(soon.errors), "");
  ASSERT_EQ(codes(soon.warnings), std::string(code::kTlsExpiresSoon));
  EXPECT_NE(soon.warnings[0].message.find("in 10 days"), std::string::npos)
      << soon.warnings[0].message;
  const auto month =
      inspect(kTls / "site.crt", kTls / "site.key", {}, end - std::chrono::hours(24 * 31));
  EXPECT_EQ(codes(month.warnings), "");
  const auto after =
      inspect(kTls / "site.crt", kTls / "site.key", {}, end + std::chrono::seconds(1));
  EXPECT_EQ(codes(after.errors), std::string(code::kTlsValidity));
  EXPECT_NE(after.errors[0].message.find("expired"), std::string::npos);
}

TEST(TlsFiles, RefusesACertificateNotYetValid) {
  const auto found = inspect(kTls / "site.crt", kTls / "site.key", {}, Clock::from_time_t(0));
  ASSERT_EQ(codes(found.errors), std::string(code::kTlsValidity));
  EXPECT_NE(found.errors[0].message.find("not valid before"), std::string::npos);
}

TEST(TlsFiles, RefusesAKeyThatIsNotTheCertificates) {
  const auto found = inspect(kTls / "site.crt", kTls / "other.key");
  ASSERT_EQ(codes(found.errors), std::string(code::kTlsKeyMismatch));
  EXPECT_EQ(found.errors[0].file, TlsFile::kKey);
}

TEST(TlsFiles, RefusesAnEncryptedKeyInsteadOfPromptingForItsPassPhrase) {
  wsgid::testing::TempDir dir;
  const fs::path encrypted = dir.path() / "encrypted.key";
  const std::string command = "openssl pkey -in '" + (kTls / "site.key").string() +
                              "' -aes256 -passout pass:secret -out '" + encrypted.string() + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const auto found = inspect(kTls / "site.crt", encrypted);
  ASSERT_EQ(codes(found.errors), std::string(code::kTlsKey));
  EXPECT_NE(found.errors[0].message.find("encrypted"), std::string::npos);
}

TEST(TlsFiles, RefusesAChainWithoutTheIssuerAndFilesThatAreNotPem) {
  EXPECT_EQ(codes(inspect(kTls / "site.crt", kTls / "site.key", kTls / "expired.crt").errors),
            std::string(code::kTlsChain));
  EXPECT_EQ(codes(inspect(kTls / "site.crt", kTls / "site.key", kTls / "not-pem.txt").errors),
            std::string(code::kTlsChain));
  EXPECT_EQ(codes(inspect(kTls / "not-pem.txt", kTls / "site.key").errors),
            std::string(code::kTlsCertificate));
  EXPECT_EQ(codes(inspect(kTls / "site.crt", kTls / "not-pem.txt").errors),
            std::string(code::kTlsKey));
}

TEST(TlsFiles, AnUnreadableFileIsReportedWithItsReason) {
  const auto found = inspect(kTls / "site.crt", kTls / "missing.key");
  ASSERT_EQ(codes(found.errors), std::string(code::kTlsKey));
  EXPECT_NE(found.errors[0].message.find("cannot be read (No such file"), std::string::npos)
      << found.errors[0].message;
}

// The digest is what makes SIGHUP restart httpd after a renewal: it must follow the bytes.
TEST(TlsFiles, TheDigestChangesWithAnyOfTheFiles) {
  wsgid::testing::TempDir dir;
  fs::copy_file(kTls / "site.crt", dir.path() / "site.crt");
  fs::copy_file(kTls / "site.key", dir.path() / "site.key");
  const auto before = inspect(dir.path() / "site.crt", dir.path() / "site.key").digest;
  EXPECT_EQ(inspect(dir.path() / "site.crt", dir.path() / "site.key").digest, before);
  std::ofstream(dir.path() / "site.crt", std::ios::app) << "\n";
  EXPECT_NE(inspect(dir.path() / "site.crt", dir.path() / "site.key").digest, before);
}

}  // namespace
}  // namespace wsgid::profile
