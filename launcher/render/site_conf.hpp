// One site: its VirtualHost (with its daemon group declared inside, so the group's daemons
// log to the site's ErrorLog) plus the Python files generated for it.
#pragma once

#include <string>
#include <vector>

#include "render.hpp"

namespace wsgid::render {

std::vector<RenderedFile> render_site(const profile::Site& site, const profile::Profile& profile,
                                      const RenderOptions& options);

// The WSGIDaemonProcess arguments: name then option=value tokens, each escaped. Options that
// httpd's parent or workers read; the rest go to the settings file (settings-file=).
std::string daemon_process_arguments(const profile::Site& site, const RenderOptions& options);

// The daemon options only the daemon processes read (threads, recycling limits, the timeouts
// the daemon applies, python-path, display-name, locale), in order. They live in the site's
// settings file, which the httpd parent re-reads before it forks a daemon, so a reload that
// changes only these recycles the daemons and leaves httpd alone.
struct DaemonSetting {
  std::string name;
  std::string value;
};
std::vector<DaemonSetting> daemon_settings(const profile::Site& site);

// daemon_settings() as the module's settings-file= reads them: option=value records, each
// ending in NUL (a value may hold any other byte).
std::string daemon_settings_records(const profile::Site& site);

// "sites/NAME.daemon", relative to the render directory: the site's settings file.
std::filesystem::path settings_file(const profile::Site& site);

// "sites/NAME.env", relative to the render directory: the site's environment for env-file=.
std::filesystem::path env_file(const profile::Site& site);

// "seccomp/NAME.bpf", relative to the render directory: where the sandbox stage's compiled
// filter of site NAME goes (the config names it; the renderer writes no binary).
std::filesystem::path seccomp_filter_file(const std::string& site);

}  // namespace wsgid::render
