#include <ostream>

#include "commands.hpp"
#include "exit_code.hpp"
#include "sandbox/syscall_groups.hpp"

namespace wsgid::cli {

int seccomp_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  if (args.operands.front() != "groups") {
    err << "wsgid: unknown seccomp subcommand \"" << args.operands.front()
        << "\"; expected \"groups\"\n";
    return kUsageError;
  }
  sandbox::print_groups(out);
  return kOk;
}

}  // namespace wsgid::cli
