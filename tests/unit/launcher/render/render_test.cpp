#include "render/render.hpp"

#include "cli/pipeline.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "render_fixture.hpp"
#include "temp_dir.hpp"

namespace wsgid::render {
namespace {

namespace fs = std::filesystem;
using wsgid::testing::kFixtures;
using wsgid::testing::load_valid_fixture;

const fs::path kGolden = WSGID_GOLDEN_DIR;

RenderOptions golden_options() { return {"/srv/wsgid-golden", "/opt/wsgid/mod_wsgid.so", true}; }

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Goldens must not depend on where the tree is checked out.
std::string portable(std::string text) {
  const std::string from = kFixtures.string();
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), "@FIXTURES@");
  }
  return text;
}

class Golden : public ::testing::TestWithParam<std::string> {};

// Set WSGID_UPDATE_GOLDEN=1 to rewrite tests/golden after an intended change, then review
// the diff like any other code change.
TEST_P(Golden, RenderedFilesMatchTheGoldenCopies) {
  const auto files = render(load_valid_fixture(GetParam()), golden_options());
  const fs::path dir = kGolden / GetParam();
  const bool update = std::getenv("WSGID_UPDATE_GOLDEN") != nullptr;
  std::set<fs::path> rendered;
  for (const auto& file : files) {
    // Text only: compiled filters are the sandbox stage's (cli::build_files).
    ASSERT_NE(file.relative.extension(), ".bpf") << file.relative;
    rendered.insert(file.relative);
    const std::string text = portable(file.content);
    if (update) {
      fs::create_directories((dir / file.relative).parent_path());
      std::ofstream(dir / file.relative, std::ios::binary) << text;
    }
    EXPECT_EQ(text, read(dir / file.relative)) << "golden " << (dir / file.relative);
  }
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      EXPECT_TRUE(rendered.contains(fs::relative(entry.path(), dir)))
          << "golden file no longer rendered: " << entry.path();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden,
                         ::testing::Values("minimal", "full", "two_sites", "tls", "tls_h2c"));

TEST(Render, IsDeterministic) {
  const auto profile = load_valid_fixture("full");
  const auto first = render(profile, golden_options());
  const auto second = render(profile, golden_options());
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].content, second[i].content);
}

TEST(Render, ListsHttpdConfFirstThenEachSitesFiles) {
  const auto files = render(load_valid_fixture("two_sites"), golden_options());
  std::vector<std::string> names;
  for (const auto& file : files) names.push_back(file.relative.string());
  EXPECT_EQ(names, (std::vector<std::string>{
                       "httpd.conf", "sites/shop.conf", "sites/shop.env", "sites/shop.daemon",
                       "sites/api.conf", "sites/api.wsgi", "sites/api.env", "sites/api.daemon"}));
}

TEST(Pipeline, AddsEachSitesCompiledFilterAfterTheRenderedText) {
  const auto files = cli::build_files(load_valid_fixture("two_sites"), golden_options());
  std::vector<std::string> names;
  for (const auto& file : files) names.push_back(file.relative.string());
  EXPECT_EQ(names,
            (std::vector<std::string>{"httpd.conf", "sites/shop.conf", "sites/shop.env",
                                      "sites/shop.daemon", "sites/api.conf", "sites/api.wsgi",
                                      "sites/api.env", "sites/api.daemon", "seccomp/shop.bpf"}));
}

fs::perms mode(const fs::path& path) { return fs::status(path).permissions(); }

TEST(WriteFiles, CreatesTheLayoutHttpdExpects) {
  wsgid::testing::TempDir out;
  RenderOptions options = golden_options();
  options.out_dir = out.path();
  const auto profile = load_valid_fixture("two_sites");
  write_files(profile, cli::build_files(profile, options), options);
  EXPECT_TRUE(fs::is_regular_file(out.path() / "httpd.conf"));
  EXPECT_TRUE(fs::is_regular_file(out.path() / "sites" / "api.wsgi"));
  EXPECT_GT(fs::file_size(out.path() / "seccomp" / "shop.bpf"), 0U);
  EXPECT_TRUE(fs::is_directory(out.path() / "run"));
  EXPECT_TRUE(fs::is_directory(out.path() / "htdocs"));
  EXPECT_TRUE(fs::is_directory(out.path() / "home" / "api"));
  EXPECT_TRUE(fs::is_directory(out.path() / "tmp" / "api"));
  EXPECT_FALSE(fs::exists(out.path() / "httpd.conf.tmp"));
}

// One uid runs everything: nothing in the render directory is for anyone else.
TEST(WriteFiles, LeavesNothingForOtherUsersWhenNotPrivileged) {
  wsgid::testing::TempDir out;
  RenderOptions options = golden_options();
  options.out_dir = out.path() / "r";
  const auto profile = load_valid_fixture("two_sites");
  write_files(profile, render(profile, options), options);
  for (const auto& entry : fs::recursive_directory_iterator(options.out_dir)) {
    const auto perms = mode(entry.path());
    EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none)
        << entry.path();
  }
  EXPECT_EQ(mode(options.out_dir), fs::perms::owner_all);
}

// Files are written 0600 even where an earlier render (or a hand) left them readable.
TEST(WriteFiles, TightensFilesAnEarlierRenderLeftReadable) {
  wsgid::testing::TempDir out;
  RenderOptions options = golden_options();
  options.out_dir = out.path();
  const auto profile = load_valid_fixture("two_sites");
  fs::create_directories(out.path() / "sites");
  std::ofstream(out.path() / "sites" / "api.env") << "old";
  fs::permissions(out.path() / "sites" / "api.env", fs::perms::all);
  write_files(profile, render(profile, options), options);
  EXPECT_EQ(mode(out.path() / "sites" / "api.env"), fs::perms::owner_read | fs::perms::owner_write);
}

TEST(WriteFiles, CreatesLogFilesWithoutPermissionsForOthers) {
  wsgid::testing::TempDir out;
  RenderOptions options = golden_options();
  options.out_dir = out.path() / "r";
  auto profile = load_valid_fixture("full");
  profile.server.log_directory = out.path();
  profile.sites[0].error_log = out.path() / "shop-error.log";
  std::ofstream(out.path() / "access.log") << "kept\n";
  fs::permissions(out.path() / "access.log", fs::perms::owner_read | fs::perms::owner_write |
                                                 fs::perms::group_read | fs::perms::others_read);
  write_files(profile, render(profile, options), options);
  const auto rw = fs::perms::owner_read | fs::perms::owner_write;
  EXPECT_EQ(mode(out.path() / "error.log"), rw);
  EXPECT_EQ(mode(out.path() / "shop-error.log"), rw);
  // An existing log keeps its group's access (an operator's choice) and its content.
  EXPECT_EQ(mode(out.path() / "access.log"), rw | fs::perms::group_read);
  EXPECT_EQ(read(out.path() / "access.log"), "kept\n");
}

}  // namespace
}  // namespace wsgid::render
