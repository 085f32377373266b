// One site: its VirtualHost (with its daemon group declared inside, so the group's daemons
// log to the site's ErrorLog) plus the Python files generated for it.
#pragma once

#include <vector>

#include "render.hpp"

namespace wsgid::render {

std::vector<RenderedFile> render_site(const profile::Site& site, const profile::Profile& profile,
                                      const RenderOptions& options);

// The WSGIDaemonProcess arguments: name then option=value tokens, each escaped.
std::string daemon_process_arguments(const profile::Site& site, const RenderOptions& options);

// "sites/NAME.env", relative to the render directory: the site's environment for env-file=.
std::filesystem::path env_file(const profile::Site& site);

// "seccomp/NAME.bpf", relative to the render directory: where the sandbox stage's compiled
// filter of site NAME goes (the config names it; the renderer writes no binary).
std::filesystem::path seccomp_filter_file(const std::string& site);

}  // namespace wsgid::render
