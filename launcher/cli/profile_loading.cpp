#include "profile_loading.hpp"

#include <ostream>

#include "exit_code.hpp"
#include "profile/display_text.hpp"
#include "profile/listen_address.hpp"
#include "profile/load.hpp"

namespace wsgid::cli {

Loaded load_for_command(const std::string& file, const Arguments& args, std::ostream& err) {
  Loaded loaded;
  std::optional<profile::ListenAddress> listen;
  if (const auto flag = args.options.find("--listen"); flag != args.options.end()) {
    listen = profile::parse_listen(flag->second);
    if (!listen) {
      err << "wsgid: --listen " << profile::quote(flag->second) << " is not "
          << profile::kListenAccepted << "\n";
      loaded.exit_code = kUsageError;
      return loaded;
    }
  }
  auto result = profile::load_profile(file);
  for (const auto& diagnostic : result.diagnostics) err << profile::format(diagnostic) << "\n";
  for (const auto& warning : result.warnings) err << profile::format(warning) << "\n";
  if (!result.profile) {
    const auto count = result.diagnostics.size();
    err << profile::escape_control(file) << ": " << count << (count == 1 ? " error" : " errors")
        << "\n";
    loaded.exit_code = kInvalidProfile;
    return loaded;
  }
  if (listen) result.profile->server.listen = {*listen};
  loaded.profile = std::move(result.profile);
  return loaded;
}

}  // namespace wsgid::cli
