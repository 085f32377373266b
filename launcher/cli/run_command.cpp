#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "exit_code.hpp"
#include "pipeline.hpp"
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
  // mkdtemp makes it 0700; rendering sets the modes the processes inside need.
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
      (void)build_into(profile, scratch);
      const auto checked = supervise::check_config(scratch.out_dir / "httpd.conf");
      fs::remove_all(scratch.out_dir);
      if (checked.exit_status != 0) {
        err << "wsgid: httpd rejected the new configuration:\n" << checked.output;
        return false;
      }
    }
    for (const auto& warning : build_into(profile, options)) {
      err << "wsgid: warning: " << warning << "\n";
    }
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

// Whether `profile` renders to exactly the configuration httpd is running (every .conf file the
// same), so only files the daemons read at start (env file, seccomp filter), the daemon
// settings file httpd's parent reads before each fork, or the app itself can differ; then the
// new files are written here. nullopt (reported) when
// rendering fails.
std::optional<bool> daemons_only_change(const profile::Profile& profile,
                                        const render::RenderOptions& options, std::ostream& err) {
  try {
    const auto rendering = render::with_identities(profile, options);
    const auto files = build_files(profile, rendering);
    for (const auto& f : files) {
      if (f.relative.extension() != ".conf") continue;
      std::ifstream in(options.out_dir / f.relative, std::ios::binary);
      const std::string running{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
      if (running != f.content) return false;
    }
    render::write_files(profile, files, rendering);
    for (const auto& warning : render::unreadable_app_paths(profile, rendering.identities)) {
      err << "wsgid: warning: " << warning << "\n";
    }
    return true;
  } catch (const std::exception& error) {
    err << "wsgid: cannot render into " << options.out_dir << ": " << error.what() << "\n";
    return std::nullopt;
  }
}

// The distinct ports of `listens`, in order.
std::vector<std::uint16_t> ports_of(const std::vector<profile::ListenAddress>& listens) {
  std::vector<std::uint16_t> ports;
  for (const auto& listen : listens) {
    if (std::find(ports.begin(), ports.end(), listen.port) == ports.end()) {
      ports.push_back(listen.port);
    }
  }
  return ports;
}

// The URLs a client can use: every host name of the site on every listening port (a wildcard
// alias names no single URL, so it is left out); https:// on the TLS ports, and http:// only
// where it is not redirected.
std::string site_urls(const profile::Site& site, const profile::Profile& profile) {
  std::vector<std::pair<std::string, std::uint16_t>> bases;
  const auto& tls = profile.server.tls;
  if (!tls || !tls->redirect_http) {
    for (const auto port : ports_of(profile.server.listen)) bases.emplace_back("http://", port);
  }
  if (tls) {
    for (const auto port : ports_of(tls->listen)) bases.emplace_back("https://", port);
  }
  std::vector<std::string> hosts{site.server_name};
  for (const auto& alias : site.aliases) {
    if (alias.find_first_of("*?") == std::string::npos) hosts.push_back(alias);
  }
  const std::string path = site.mount.ends_with('/') ? site.mount : site.mount + "/";
  std::string urls;
  for (const auto& host : hosts) {
    for (const auto& [scheme, port] : bases) {
      urls += (urls.empty() ? "" : " ") + (scheme + host + ":" + std::to_string(port) + path);
    }
  }
  return urls;
}

std::string ready_line(const profile::Profile& profile, const fs::path& conf) {
  std::string addresses;
  for (const auto& listen : profile.server.listen) {
    addresses += (addresses.empty() ? "" : ", ") + listen.to_string();
  }
  if (const auto& tls = profile.server.tls) {
    for (const auto& listen : tls->listen) addresses += ", " + listen.to_string() + " (TLS)";
  }
  std::string sites;
  for (const auto& site : profile.sites) {
    sites += (sites.empty() ? "" : ", ") + site.name + " (" + site.server_name + ", daemon " +
             std::to_string(site.daemon.processes) + "x" + std::to_string(site.daemon.threads) +
             (site.is_default ? ", default for any host" : "") + ") at " + site_urls(site, profile);
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
  supervise_options.reload = [&]() -> std::optional<supervise::Reload> {
    err << "wsgid: SIGHUP: reloading " << file << std::endl;
    const Loaded reloaded = load_for_command(file, args, err);
    if (!reloaded.profile) {
      err << "wsgid: keeping the running configuration" << std::endl;
      return std::nullopt;
    }
    supervise::Reload reload{.stop_deadline = reloaded.profile->server.graceful_stop_timeout};
    const auto same = daemons_only_change(*reloaded.profile, options, err);
    if (!same) {
      err << "wsgid: keeping the running configuration" << std::endl;
      return std::nullopt;
    }
    reload.restart_httpd = !*same;
    // A daemon's drain (graceful-timeout, mod_wsgi's default 15 s), then its replacement, which
    // httpd forks when it sees the drain (within its 10 s maintenance interval) or the exit.
    for (const auto& site : reloaded.profile->sites) {
      reload.recycle_deadline = std::max(
          reload.recycle_deadline, site.daemon.graceful_timeout.value_or(std::chrono::seconds(15)) +
                                       std::chrono::seconds(15));
    }
    if (reload.restart_httpd && !render_checked(*reloaded.profile, options, true, err)) {
      err << "wsgid: keeping the running configuration" << std::endl;
      return std::nullopt;
    }
    return reload;
  };
  return supervise::supervise(supervise_options, out, err);
}

}  // namespace wsgid::cli
