// display-name=: the title `ps` shows comes from the process's own argv block, which
// set_process_title overwrites, and the 15-character comm name from prctl. Each case runs in a
// forked child, since it renames the process it runs in.
#include "daemon/process_title.hpp"

#include <errno.h>
#include <gtest/gtest.h>
#include <httpd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "forked_child.hpp"

namespace wsgid {
namespace {

using testing::run_in_child;

std::string read_proc(const char* name) {
  std::ifstream in(std::string("/proc/self/") + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// httpd's process_rec for this process: argv[0] is the kernel's argv block (glibc's
// program_invocation_name points at it), as httpd's is.
process_rec this_process() {
  static const char* argv[] = {program_invocation_name, nullptr};
  process_rec process{};
  process.argc = 1;
  process.argv = argv;
  return process;
}

TEST(ProcessTitle, PsAndCommShowTheTitle) {
  const auto outcome = run_in_child([](int) -> std::string {
    process_rec process = this_process();
    set_process_title(&process, "(wsgi:shop)");
    const std::string cmdline = read_proc("cmdline");
    if (cmdline.substr(0, cmdline.find('\0')) != "(wsgi:shop)") return "cmdline: " + cmdline;
    if (read_proc("comm") != "(wsgi:shop)\n") return "comm: " + read_proc("comm");
    return {};
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(ProcessTitle, ATitleLongerThanTheArgvBlockIsCutToItAndCommTo15Characters) {
  const auto outcome = run_in_child([](int) -> std::string {
    process_rec process = this_process();
    const std::size_t room = std::string(program_invocation_name).size();
    const std::string title = "(wsgi:" + std::string(room + 40, 'x') + ")";
    set_process_title(&process, title.c_str());
    const std::string cmdline = read_proc("cmdline");
    const std::string shown = cmdline.substr(0, cmdline.find('\0'));
    if (shown != title.substr(0, room)) return "cmdline shows " + shown;
    if (read_proc("comm") != title.substr(0, 15) + "\n") return "comm: " + read_proc("comm");
    return {};
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(ProcessTitle, NoTitleOrNoArgvLeavesTheProcessAlone) {
  const auto outcome = run_in_child([](int) -> std::string {
    const std::string before = read_proc("cmdline");
    process_rec process = this_process();
    set_process_title(&process, nullptr);
    set_process_title(nullptr, "(wsgi:x)");
    process_rec empty{};
    set_process_title(&empty, "(wsgi:x)");
    if (read_proc("cmdline") != before) return "cmdline changed: " + read_proc("cmdline");
    return {};
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

}  // namespace
}  // namespace wsgid
