// server.tls and HTTP/2 in the rendered config: the modules they need, the server-wide TLS
// settings (one certificate for every site), what a TLS VirtualHost adds, and the cleartext
// VirtualHost that redirects to HTTPS.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf_writer.hpp"
#include "render.hpp"

namespace wsgid::render {

// (module name, file) pairs for LoadModule, in load order.
using ModuleList = std::vector<std::pair<std::string_view, std::string_view>>;

// mod_ssl and its session cache when TLS is on, mod_http2 when h2 or h2c is, mod_headers for
// HSTS, mod_rewrite for the redirect.
void add_tls_modules(const profile::Profile& profile, ModuleList& modules);

// Listen lines for the TLS addresses.
void tls_listen(ConfWriter& w, const profile::Profile& profile);

// Server-wide: certificate files, protocols and ciphers, session and OCSP stapling caches,
// `Protocols`, and the HTTP/2 worker bounds. Nothing when neither TLS nor h2c is on.
void tls_server(ConfWriter& w, const profile::Profile& profile, const RenderOptions& options);

// Inside a TLS VirtualHost: SSLEngine, and HSTS when asked for (`hsts` false for the
// catch-all, which serves no site).
void tls_virtual_host(ConfWriter& w, const profile::Tls& tls, bool hsts);

// The body of a site's cleartext VirtualHost under redirect_http: every URL but the health
// endpoints answers 301 with the same host and path on the first TLS port.
void https_redirect(ConfWriter& w, const profile::Profile& profile);

}  // namespace wsgid::render
