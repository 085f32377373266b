// Starting a program without a shell: posix_spawn with the argv as given, the caller's
// environment, a clean signal mask and default signal dispositions (the launcher blocks the
// signals it owns; a child must never inherit that).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace wsgid {

struct SpawnOptions {
  // When >= 0, the child's stdout and stderr are this descriptor (e.g. a pipe's write end);
  // otherwise they are the caller's.
  int output_fd = -1;
};

// Starts argv[0] (a path: no PATH search) with argv. Returns 0 and sets `pid`, or returns the
// error number posix_spawn gave.
int spawn(const std::vector<std::string>& argv, const SpawnOptions& options, pid_t& pid);

}  // namespace wsgid
