#include "daemon/env_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.hpp"

namespace wsgid {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

class EnvFile : public ::testing::Test {
 protected:
  std::string write(const std::string& content, mode_t mode = 0600) {
    const auto path = dir_.write("site.env", content);
    ::chmod(path.c_str(), mode);
    return path;
  }

  testing::TempDir dir_;
};

TEST_F(EnvFile, SetsEveryRecordVerbatim) {
  ::unsetenv("WSGID_T_A");
  const auto path = write("WSGID_T_A=x = \"y\"\nline two\0WSGID_T_EMPTY=\0"s);
  std::string error;
  EXPECT_EQ(apply_env_file(path.c_str(), ::geteuid(), error), nullptr) << error;
  ASSERT_NE(std::getenv("WSGID_T_A"), nullptr);
  EXPECT_EQ(std::string(std::getenv("WSGID_T_A")), "x = \"y\"\nline two");
  EXPECT_EQ(std::string(std::getenv("WSGID_T_EMPTY")), "");
}

TEST_F(EnvFile, RefusesAFileOthersOrItsGroupMayRead) {
  for (mode_t mode : {0640, 0604, 0620}) {
    const auto path = write("WSGID_T_B=hunter2\0"s, mode);
    std::string error;
    EXPECT_STREQ(apply_env_file(path.c_str(), ::geteuid(), error), "WSGID0591") << mode;
    EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  }
}

TEST_F(EnvFile, RefusesAFileSomeoneElseOwns) {
  const auto path = write("WSGID_T_C=1\0"s);
  std::string error;
  EXPECT_STREQ(apply_env_file(path.c_str(), ::geteuid() + 1, error), "WSGID0591");
}

TEST_F(EnvFile, NamesTheBadRecordByNumberNeverByValue) {
  const auto path = write("WSGID_T_D=1\0no equals sign hunter2\0"s);
  std::string error;
  EXPECT_STREQ(apply_env_file(path.c_str(), ::geteuid(), error), "WSGID0592");
  EXPECT_NE(error.find("record 2"), std::string::npos) << error;
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
  const auto unterminated = write("WSGID_T_E=hunter2"s);
  EXPECT_STREQ(apply_env_file(unterminated.c_str(), ::geteuid(), error), "WSGID0592");
  EXPECT_EQ(error.find("hunter2"), std::string::npos) << error;
}

TEST_F(EnvFile, RefusesAMissingFileOrASymlink) {
  std::string error;
  EXPECT_STREQ(apply_env_file((dir_.path() / "missing").c_str(), ::geteuid(), error), "WSGID0590");
  const auto path = write("WSGID_T_F=1\0"s);
  fs::create_symlink(path, dir_.path() / "link");
  EXPECT_STREQ(apply_env_file((dir_.path() / "link").c_str(), ::geteuid(), error), "WSGID0590");
}

}  // namespace
}  // namespace wsgid
