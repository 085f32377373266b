#include "profile/python_home.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "temp_dir.hpp"

namespace wsgid::profile {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(PythonHomeVersion, ReadsVenvConfig) {
  testing::TempDir home;
  write(home.path() / "pyvenv.cfg", "home = /usr/bin\nversion = 3.10.12\n");
  EXPECT_EQ(python_home_version(home.path()), "3.10");
}

TEST(PythonHomeVersion, ReadsVirtualenvVersionInfo) {
  testing::TempDir home;
  write(home.path() / "pyvenv.cfg", "version_info = 3.12.1.final.0\n");
  EXPECT_EQ(python_home_version(home.path()), "3.12");
}

TEST(PythonHomeVersion, FallsBackToTheStandardLibraryDirectory) {
  testing::TempDir home;
  fs::create_directories(home.path() / "lib" / "python3.9");
  EXPECT_EQ(python_home_version(home.path()), "3.9");
}

TEST(PythonHomeVersion, PrefersTheEmbeddedVersionWhenAPrefixHasSeveral) {
  testing::TempDir home;
  fs::create_directories(home.path() / "lib" / "python3.99");
  fs::create_directories(home.path() / "lib" / ("python" + embedded_python_version()));
  EXPECT_EQ(python_home_version(home.path()), embedded_python_version());
}

TEST(PythonHomeVersion, FindsNothingInADirectoryThatIsNoPythonHome) {
  testing::TempDir home;
  EXPECT_FALSE(python_home_version(home.path()));
}

TEST(EmbeddedPythonVersion, IsTheOneTheBuildLinked) {
  // Asked of the interpreter the build was configured with, not repeated here.
  const std::string command = embedded_python_executable() +
                              " -c \"import sys; print('%d.%d %d.%d.%d' % (sys.version_info[:2] + "
                              "sys.version_info[:3]))\"";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  ASSERT_TRUE(pipe);
  char line[64] = {};
  ASSERT_NE(std::fgets(line, sizeof line, pipe.get()), nullptr);
  EXPECT_EQ(std::string(line), embedded_python_version() + " " + embedded_python_release() + "\n");
}

TEST(PythonHomeVersion, RecognisesTheSystemPython) {
  EXPECT_EQ(python_home_version("/usr"), embedded_python_version());
}

}  // namespace
}  // namespace wsgid::profile
