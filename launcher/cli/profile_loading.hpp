// Loading a profile for a command: diagnostics go to the error stream, --listen is applied.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "arguments.hpp"
#include "profile/model.hpp"

namespace wsgid::cli {

struct Loaded {
  std::optional<profile::Profile> profile;
  int exit_code = 0;  // set when profile is empty
};

Loaded load_for_command(const std::string& file, const Arguments& args, std::ostream& err);

}  // namespace wsgid::cli
