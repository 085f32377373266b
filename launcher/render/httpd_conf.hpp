// The entry point config: process-wide settings, hardening, modules, the catch-all vhost,
// and an Include per site.
#pragma once

#include <string>

#include "render.hpp"

namespace wsgid::render {

std::string render_httpd_conf(const profile::Profile& profile, const RenderOptions& options);

// "*:8080" for wildcard listens, else "127.0.0.1:8080"; one per distinct address, in order.
std::string virtual_host_addresses(const std::vector<profile::ListenAddress>& listens);

}  // namespace wsgid::render
