#include "filter_loader.hpp"

#include <gtest/gtest.h>
#include <linux/filter.h>

#include <filesystem>
#include <fstream>

#include "forked_child.hpp"
#include "temp_dir.hpp"

namespace wsgid::seccomp {
namespace {

class LoaderFile : public ::testing::Test {
 protected:
  std::string file_of(std::size_t bytes) {
    const std::string path = dir_.path() / ("f" + std::to_string(bytes));
    std::ofstream(path, std::ios::binary) << std::string(bytes, '\0');
    return path;
  }
  wsgid::testing::TempDir dir_;
};

TEST_F(LoaderFile, RejectsAnEmptyFile) {
  const std::string path = file_of(0);
  std::vector<std::uint8_t> program;
  std::string error;
  EXPECT_FALSE(read_filter_file(path, program, error));
  EXPECT_EQ(error, "WSGID3021: seccomp filter \"" + path +
                       "\" is empty; re-render the site (wsgid render) or set seccomp = \"off\"");
}

TEST_F(LoaderFile, RejectsAPartialInstruction) {
  const std::string path = file_of(8 * 3 + 5);
  std::vector<std::uint8_t> program;
  std::string error;
  EXPECT_FALSE(read_filter_file(path, program, error));
  EXPECT_EQ(error, "WSGID3022: seccomp filter \"" + path +
                       "\" is 29 bytes, not a whole number of 8-byte BPF instructions; the file "
                       "is corrupt: re-render the site (wsgid render)");
}

TEST_F(LoaderFile, RejectsMoreInstructionsThanTheKernelTakes) {
  const std::string path = file_of(8 * (kMaxFilterInstructions + 1));
  std::vector<std::uint8_t> program;
  std::string error;
  EXPECT_FALSE(read_filter_file(path, program, error));
  EXPECT_EQ(error, "WSGID3023: seccomp filter \"" + path +
                       "\" has 4097 instructions, more than the kernel's limit of 4096; the file "
                       "is not a wsgid filter");
}

TEST_F(LoaderFile, RejectsAMissingFileAndADirectory) {
  std::vector<std::uint8_t> program;
  std::string error;
  const std::string missing = dir_.path() / "nope.bpf";
  EXPECT_FALSE(read_filter_file(missing, program, error));
  EXPECT_EQ(error, "WSGID3020: cannot read seccomp filter \"" + missing +
                       "\" (open): No such file or directory; re-render the site (wsgid render)");
  EXPECT_FALSE(read_filter_file(dir_.str(), program, error));
  EXPECT_NE(error.find("WSGID3020"), std::string::npos);
  EXPECT_NE(error.find("(not a regular file)"), std::string::npos);
}

TEST_F(LoaderFile, ReadsAWellFormedFile) {
  const std::string path = file_of(8 * 4);
  std::vector<std::uint8_t> program;
  std::string error;
  EXPECT_TRUE(read_filter_file(path, program, error)) << error;
  EXPECT_EQ(program.size(), 32u);
}

TEST(LoadFilter, KernelRejectsAnInvalidProgramWithAStableCode) {
  // A program that never returns: the kernel's checker refuses it, and nothing is installed.
  const auto outcome = testing::run_in_child([](int) -> std::string {
    const sock_filter bad[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(bad);
    std::string error;
    if (load_filter({bytes, sizeof bad}, error)) return "an invalid program was loaded";
    if (error.rfind("WSGID3025: the kernel refused the seccomp filter: Invalid argument", 0) != 0)
      return "unexpected error: " + error;
    return {};
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(LoadFilter, RejectsEmptyBytesBeforeTouchingTheProcess) {
  std::string error;
  EXPECT_FALSE(load_filter({}, error));
  EXPECT_EQ(error,
            "WSGID3021: seccomp filter program is empty; re-render the site (wsgid render) or "
            "set seccomp = \"off\"");
}

}  // namespace
}  // namespace wsgid::seccomp
