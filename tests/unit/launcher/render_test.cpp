#include "render/render.hpp"

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
    if (file.relative.extension() == ".bpf") continue;  // binary; the sandbox tests cover it
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

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden, ::testing::Values("minimal", "full", "two_sites"));

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
  EXPECT_EQ(names,
            (std::vector<std::string>{"httpd.conf", "sites/shop.conf", "seccomp/shop.bpf",
                                      "sites/api.conf", "sites/api.wsgi", "sites/api.env.py"}));
}

TEST(WriteFiles, CreatesTheLayoutHttpdExpects) {
  wsgid::testing::TempDir out;
  RenderOptions options = golden_options();
  options.out_dir = out.path();
  write_files(render(load_valid_fixture("two_sites"), options), out.path());
  EXPECT_TRUE(fs::is_regular_file(out.path() / "httpd.conf"));
  EXPECT_TRUE(fs::is_regular_file(out.path() / "sites" / "api.wsgi"));
  EXPECT_GT(fs::file_size(out.path() / "seccomp" / "shop.bpf"), 0U);
  EXPECT_TRUE(fs::is_directory(out.path() / "run"));
  EXPECT_TRUE(fs::is_directory(out.path() / "htdocs"));
  EXPECT_FALSE(fs::exists(out.path() / "httpd.conf.tmp"));
}

}  // namespace
}  // namespace wsgid::render
