#include "spawn.hpp"

#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>

extern char** environ;

namespace wsgid {
namespace {

// posix_spawn's two attribute objects, destroyed on every path.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attributes_);
    posix_spawn_file_actions_init(&actions_);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  posix_spawnattr_t* attributes() { return &attributes_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attributes_;
  posix_spawn_file_actions_t actions_;
};

}  // namespace

int spawn(const std::vector<std::string>& argv, const SpawnOptions& options, pid_t& pid) {
  if (argv.empty()) return EINVAL;
  SpawnAttributes spawn;
  sigset_t none;
  sigemptyset(&none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(spawn.attributes(), &none);
  posix_spawnattr_setsigdefault(spawn.attributes(), &all);
  posix_spawnattr_setflags(spawn.attributes(), POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (options.output_fd >= 0) {
    posix_spawn_file_actions_adddup2(spawn.actions(), options.output_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(spawn.actions(), options.output_fd, STDERR_FILENO);
  }
  std::vector<char*> raw;
  raw.reserve(argv.size() + 1);
  for (const auto& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
  raw.push_back(nullptr);
  return posix_spawn(&pid, raw[0], spawn.actions(), spawn.attributes(), raw.data(), environ);
}

}  // namespace wsgid
