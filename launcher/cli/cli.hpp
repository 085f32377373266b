// The wsgid command line: check, render, run, seccomp groups. main() only forwards to run_cli,
// so the whole CLI is testable in-process with string streams.
#pragma once

#include <iosfwd>
#include <span>
#include <string>

namespace wsgid::cli {

// Returns the process exit code (exit_code.hpp).
int run_cli(std::span<const std::string> args, std::ostream& out, std::ostream& err);

}  // namespace wsgid::cli
