// A forked daemon replaces its image with wsgid-daemon before any application code runs.
//
// A daemon is forked from httpd's parent after every module's post_config, so its private
// memory is a copy of the parent's: every vhost's configuration and every vhost's TLS private
// key (mod_ssl loads them there). Shared memory can be unmapped (inherited_memory.hpp); private
// memory cannot be told apart from the daemon's own. After execve nothing of it is left: the
// helper starts from a fresh image and gets only what this daemon needs, written into a sealed
// memfd (spec_transfer.hpp), its descriptors (listening socket, logs, the scoreboard memfd) and
// the process state execve keeps (identity, Landlock domain, working directory, umask,
// limits, environment, signal mask).
#pragma once

#include <string>

#include "python_abi.h"
#include "spec_transfer.hpp"

namespace wsgid {

// The environment variable that names the spec memfd's descriptor; wsgid-daemon removes it
// before anything else reads the environment.
inline constexpr const char kDaemonSpecFdVariable[] = "WSGID_DAEMON_SPEC_FD";

// Writes the spec, clears close-on-exec on the descriptors it names and on the scoreboard's,
// and execs `helper` with `argv` (argv[0] is what ps shows). Returns only on failure, with why.
std::string exec_daemon_helper(const std::string& helper, char* const* argv,
                               const wsgid_daemon_spec& spec, const SpecExtras& extras);

}  // namespace wsgid
