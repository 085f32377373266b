#include "cli/cli.hpp"
#include "profile/python_home.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "render_fixture.hpp"
#include "temp_dir.hpp"

namespace wsgid::cli {
namespace {

using wsgid::testing::kFixtures;

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run run(std::vector<std::string> args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

std::string fixture(const std::string& name) { return (kFixtures / name).string(); }

TEST(Cli, PrintsTheVersion) {
  const auto r = run({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string("wsgid ") + WSGID_VERSION + " (CPython " +
                       profile::embedded_python_release() + ")\n");
}

TEST(Cli, PrintsHelpWithTheExitCodes) {
  const auto r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 invalid profile"),
            std::string::npos);
}

TEST(Cli, ExitsTwoOnAUsageError) {
  const auto r = run({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.err.starts_with("wsgid: unknown command \"frobnicate\"\nusage: wsgid check"));
  EXPECT_EQ(run({}).code, 2);
  EXPECT_EQ(run({"render", fixture("valid/minimal.toml")}).code, 2);
  EXPECT_EQ(run({"seccomp", "lists"}).code, 2);
}

TEST(Cli, CheckSaysOkForAValidProfile) {
  const auto r = run({"check", fixture("valid/two_sites.toml")});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, fixture("valid/two_sites.toml") + ": ok (2 sites)\n");
  EXPECT_EQ(r.err, "");
}

TEST(Cli, CheckExitsThreeAndReportsEveryProfilesProblems) {
  const auto r = run({"check", fixture("valid/minimal.toml"), fixture("invalid/syntax.toml"),
                      fixture("invalid/no_sites.toml")});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out, fixture("valid/minimal.toml") + ": ok (1 site)\n");
  EXPECT_NE(r.err.find(fixture("invalid/syntax.toml") + ":2:23: error WSGID1001"),
            std::string::npos);
  EXPECT_NE(r.err.find(fixture("invalid/no_sites.toml") + ": 1 error\n"), std::string::npos);
}

TEST(Cli, RenderWritesTheConfigAndPrintsItsPath) {
  wsgid::testing::TempDir out;
  const auto r = run({"render", fixture("valid/minimal.toml"), "--out", out.path().string(),
                      "--module", "/m/mod_wsgid.so", "--listen", "127.0.0.1:18080"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, (out.path() / "httpd.conf").string() + "\n");
  std::ifstream conf(out.path() / "httpd.conf");
  std::stringstream text;
  text << conf.rdbuf();
  EXPECT_NE(text.str().find("\nListen 127.0.0.1:18080\n"), std::string::npos);
  EXPECT_EQ(text.str().find("8080\n<"), std::string::npos);
  EXPECT_NE(text.str().find("LoadModule wsgid_module \"/m/mod_wsgid.so\""), std::string::npos);
}

TEST(Cli, RefusesABadListenOverrideAsAUsageError) {
  const auto r = run({"run", fixture("valid/minimal.toml"), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.err.starts_with("wsgid: --listen \"127.0.0.1:0\" is not an IP address"));
}

TEST(Cli, RunExitsThreeForAnInvalidProfileWithoutStartingHttpd) {
  const auto r = run({"run", fixture("invalid/units.toml")});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("9 errors"), std::string::npos);
}

TEST(Cli, ChecksEveryShippedProfileAsValid) {
  std::vector<std::string> args{"check"};
  for (const auto& entry : std::filesystem::directory_iterator(WSGID_PROFILES_DIR)) {
    if (entry.path().extension() == ".toml") args.push_back(entry.path().string());
  }
  ASSERT_GE(args.size(), 5U);
  const auto r = run(args);
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST(Cli, ListsTheSandboxsSyscallGroups) {
  const auto r = run({"seccomp", "groups"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("@network-io"), std::string::npos);
}

}  // namespace
}  // namespace wsgid::cli
