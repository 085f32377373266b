#include "httpd_command.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>

#include "spawn.hpp"
#include "unique_fd.hpp"

namespace wsgid::supervise {

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
  pid_t pid = 0;
  if (spawn(argv, {.output_fd = write_end.get()}, pid) != 0) {
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
