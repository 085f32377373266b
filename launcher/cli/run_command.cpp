#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>

#include "commands.hpp"
#include "exit_code.hpp"
#include "profile/python_home.hpp"
#include "profile_loading.hpp"
#include "render/module_path.hpp"
#include "render/render.hpp"
#include "supervise/httpd_command.hpp"
#include "supervise/supervisor.hpp"

namespace wsgid::cli {
namespace {

namespace fs = std::filesystem;

std::optional<fs::path> fresh_runtime_dir() {
  std::string pattern = (fs::temp_directory_path() / "wsgid-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return std::nullopt;
  // mkdtemp makes it 0700; httpd's workers run as the profile's user and must reach the
  // daemons' sockets inside, so let others search (not list) it.
  fs::permissions(pattern, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  return fs::path(pattern);
}

// Renders `profile` into options.out_dir and has httpd check it. Reports and returns false on
// failure. With `staging`, the candidate is first rendered and checked in a scratch directory,
// so a config httpd would reject never replaces the one it is running.
bool render_checked(const profile::Profile& profile, const render::RenderOptions& options,
                    bool staging, std::ostream& err) {
  try {
    if (staging) {
      render::RenderOptions scratch = options;
      scratch.out_dir = options.out_dir / ".candidate";
      fs::remove_all(scratch.out_dir);
      render::write_files(render::render(profile, scratch), scratch.out_dir);
      const auto checked = supervise::check_config(scratch.out_dir / "httpd.conf");
      fs::remove_all(scratch.out_dir);
      if (checked.exit_status != 0) {
        err << "wsgid: httpd rejected the new configuration:\n" << checked.output;
        return false;
      }
    }
    render::write_files(render::render(profile, options), options.out_dir);
  } catch (const std::exception& error) {
    err << "wsgid: cannot render into " << options.out_dir << ": " << error.what() << "\n";
    return false;
  }
  if (staging) return true;
  const auto checked = supervise::check_config(options.out_dir / "httpd.conf");
  if (checked.exit_status != 0) {
    err << "wsgid: httpd rejected the rendered config " << options.out_dir / "httpd.conf"
        << ":\n"
        << checked.output;
    return false;
  }
  return true;
}

std::string ready_line(const profile::Profile& profile, const fs::path& conf) {
  std::string addresses;
  for (const auto& listen : profile.server.listen) {
    addresses += (addresses.empty() ? "" : ", ") + listen.to_string();
  }
  std::string sites;
  for (const auto& site : profile.sites) {
    sites += (sites.empty() ? "" : ", ") + site.name + " (" + site.server_name + ", daemon " +
             std::to_string(site.daemon.processes) + "x" + std::to_string(site.daemon.threads) +
             ")";
  }
  return "wsgid: ready on " + addresses + ": " + sites + "; config " + conf.string() +
         "; CPython " + profile::embedded_python_release();
}

}  // namespace

int run_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  const std::string file = args.operands.front();
  const Loaded loaded = load_for_command(file, args, err);
  if (!loaded.profile) return loaded.exit_code;
  const profile::Profile& profile = *loaded.profile;

  render::RenderOptions options;
  if (const auto flag = args.options.find("--out"); flag != args.options.end()) {
    options.out_dir = fs::absolute(flag->second).lexically_normal();
  } else if (auto dir = fresh_runtime_dir()) {
    options.out_dir = *dir;
  } else {
    err << "wsgid: cannot create a runtime directory under " << fs::temp_directory_path() << ": "
        << std::strerror(errno) << "\n";
    return kRuntimeFailure;
  }
  const auto module = args.options.find("--module");
  options.module_path = render::resolve_module_path(
      module == args.options.end() ? std::nullopt : std::optional(module->second));
  if (!render_checked(profile, options, false, err)) return kRuntimeFailure;

  supervise::SuperviseOptions supervise_options;
  supervise_options.httpd_conf = options.out_dir / "httpd.conf";
  supervise_options.listen = profile.server.listen;
  supervise_options.ready_line = ready_line(profile, supervise_options.httpd_conf);
  supervise_options.stop_deadline = profile.server.graceful_stop_timeout;
  supervise_options.reload = [&]() -> std::optional<std::chrono::seconds> {
    err << "wsgid: SIGHUP: reloading " << file << std::endl;
    const Loaded reloaded = load_for_command(file, args, err);
    if (!reloaded.profile || !render_checked(*reloaded.profile, options, true, err)) {
      err << "wsgid: keeping the running configuration" << std::endl;
      return std::nullopt;
    }
    return reloaded.profile->server.graceful_stop_timeout;
  };
  return supervise::supervise(supervise_options, out, err);
}

}  // namespace wsgid::cli
