// One function per subcommand; each returns an exit code.
#pragma once

#include <iosfwd>

#include "arguments.hpp"

namespace wsgid::cli {

int check_command(const Arguments& args, std::ostream& out, std::ostream& err);
int render_command(const Arguments& args, std::ostream& out, std::ostream& err);
int run_command(const Arguments& args, std::ostream& out, std::ostream& err);
int status_command(const Arguments& args, std::ostream& out, std::ostream& err);
int seccomp_command(const Arguments& args, std::ostream& out, std::ostream& err);

}  // namespace wsgid::cli
