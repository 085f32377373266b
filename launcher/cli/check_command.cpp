#include <ostream>

#include "commands.hpp"
#include "exit_code.hpp"
#include "profile/display_text.hpp"
#include "profile_loading.hpp"

namespace wsgid::cli {

int check_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  int exit_code = kOk;
  for (const auto& file : args.operands) {
    const Loaded loaded = load_for_command(file, args, err);
    if (!loaded.profile) {
      exit_code = loaded.exit_code;
      continue;
    }
    const auto sites = loaded.profile->sites.size();
    out << profile::escape_control(file) << ": ok (" << sites << (sites == 1 ? " site" : " sites")
        << ")\n";
  }
  return exit_code;
}

}  // namespace wsgid::cli
