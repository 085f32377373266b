// The real `wsgid run` as a child process of a test, its output in files of a test directory.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "loopback.hpp"
#include "poll.hpp"

extern char** environ;

namespace wsgid::testing {

namespace fs = std::filesystem;

inline std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class WsgidRun {
 public:
  WsgidRun(const fs::path& dir, const fs::path& profile, std::uint16_t port) : dir_(dir) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, (dir / "stdout").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, (dir / "stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args{WSGID_EXECUTABLE,
                                  "run",
                                  profile.string(),
                                  "--listen",
                                  "127.0.0.1:" + std::to_string(port),
                                  "--module",
                                  WSGID_MODULE_PATH,
                                  "--out",
                                  (dir / "out").string()};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
  }
  WsgidRun(const WsgidRun&) = delete;
  WsgidRun& operator=(const WsgidRun&) = delete;
  ~WsgidRun() {
    if (!exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void signal(int signal) const { ::kill(pid_, signal); }
  std::string out() const { return read(dir_ / "stdout"); }
  std::string err() const { return read(dir_ / "stderr"); }

  std::optional<int> wait_exit() {
    eventually([&] {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      return exit_code_.has_value();
    });
    return exit_code_;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace wsgid::testing
