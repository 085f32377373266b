#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <vector>

#include "commands.hpp"
#include "exit_code.hpp"
#include "profile_loading.hpp"
#include "render/module_path.hpp"
#include "render/render.hpp"
#include "supervise/httpd_command.hpp"

namespace wsgid::cli {
namespace {

std::optional<std::filesystem::path> fresh_runtime_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "wsgid-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return std::nullopt;
  // mkdtemp makes it 0700; httpd's workers run as the profile's user and must reach the
  // daemons' sockets inside, so let others search (not list) it.
  std::filesystem::permissions(
      pattern, std::filesystem::perms::others_exec | std::filesystem::perms::group_exec,
      std::filesystem::perm_options::add);
  return std::filesystem::path(pattern);
}

}  // namespace

int run_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  const Loaded loaded = load_for_command(args.operands.front(), args, err);
  if (!loaded.profile) return loaded.exit_code;
  const profile::Profile& profile = *loaded.profile;

  render::RenderOptions options;
  if (const auto flag = args.options.find("--out"); flag != args.options.end()) {
    options.out_dir = std::filesystem::absolute(flag->second).lexically_normal();
  } else if (auto dir = fresh_runtime_dir()) {
    options.out_dir = *dir;
  } else {
    err << "wsgid: cannot create a runtime directory under "
        << std::filesystem::temp_directory_path() << ": " << std::strerror(errno) << "\n";
    return kRuntimeFailure;
  }
  const auto module = args.options.find("--module");
  options.module_path = render::resolve_module_path(
      module == args.options.end() ? std::nullopt : std::optional(module->second));
  try {
    render::write_files(render::render(profile, options), options.out_dir);
  } catch (const std::filesystem::filesystem_error& error) {
    err << "wsgid: cannot write the rendered config to " << options.out_dir << ": " << error.what()
        << "\n";
    return kRuntimeFailure;
  }
  const auto conf = options.out_dir / "httpd.conf";
  const auto checked = supervise::check_config(conf);
  if (checked.exit_status != 0) {
    err << "wsgid: httpd rejected the rendered config " << conf << ":\n" << checked.output;
    return kRuntimeFailure;
  }

  std::string addresses;
  for (const auto& listen : profile.server.listen) {
    addresses += (addresses.empty() ? "" : ", ") + listen.to_string();
  }
  std::string sites;
  for (const auto& site : profile.sites) {
    sites += (sites.empty() ? "" : ", ") + site.name + " (" +
             std::to_string(site.daemon.processes) + "x" + std::to_string(site.daemon.threads) +
             ")";
  }
  // Until launcher/supervise owns the signals, httpd replaces this process: it then receives
  // SIGTERM (immediate stop) and SIGWINCH/SIGUSR1 (graceful stop/restart) directly.
  out << "wsgid: starting httpd on " << addresses << " for sites " << sites << " from " << conf
      << std::endl;
  const std::string binary = supervise::httpd_binary();
  std::vector<std::string> argv{binary, "-f", conf.string(), "-DFOREGROUND"};
  std::vector<char*> raw;
  for (auto& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);
  ::execv(binary.c_str(), raw.data());
  err << "wsgid: cannot start " << binary << ": " << std::strerror(errno) << "\n";
  return kRuntimeFailure;
}

}  // namespace wsgid::cli
