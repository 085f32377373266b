#include "httpd_command.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>

#include "unique_fd.hpp"

extern char** environ;

namespace wsgid::supervise {
namespace {

class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace

std::string httpd_binary() {
  if (const char* env = std::getenv("WSGID_HTTPD"); env != nullptr && *env != '\0') return env;
  return WSGID_APACHE_HTTPD;
}

CommandResult run_capturing(const std::vector<std::string>& argv) {
  CommandResult result;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return result;
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  SpawnActions actions;
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(actions.get(), write_end.get(), STDERR_FILENO);
  std::vector<char*> raw;
  for (const auto& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
  raw.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, raw[0], actions.get(), nullptr, raw.data(), environ) != 0) {
    result.output = "cannot start " + argv[0];
    return result;
  }
  write_end.reset();
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n > 0) {
      result.output.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
  return result;
}

CommandResult check_config(const std::filesystem::path& httpd_conf) {
  return run_capturing({httpd_binary(), "-t", "-f", httpd_conf.string()});
}

}  // namespace wsgid::supervise
