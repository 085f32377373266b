#include "tls_conf.hpp"

#include "capacity.hpp"
#include "directive_arg.hpp"

namespace wsgid::render {
namespace {

using profile::Profile;

// Mozilla's "intermediate" policy (TLS 1.2 ciphers; TLS 1.3 suites are OpenSSL's defaults,
// all of them strong): forward secrecy and AEAD only, for clients from the last decade.
constexpr std::string_view kCipherSuite =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

bool http2_anywhere(const Profile& profile) {
  return profile.server.h2c || (profile.server.tls && profile.server.tls->http2);
}

std::string protocols(const Profile& profile) {
  std::string out;
  // Each token applies where it can: h2 only through TLS's ALPN, h2c only in cleartext.
  if (profile.server.tls && profile.server.tls->http2) out += "h2 ";
  if (profile.server.h2c) out += "h2c ";
  return out + "http/1.1";
}

// A URL path as a regular expression matching itself literally.
std::string literal_regex(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::string_view(".()+*?[]{}|^$\\").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

void add_tls_modules(const Profile& profile, ModuleList& modules) {
  if (const auto& tls = profile.server.tls) {
    modules.emplace_back("socache_shmcb_module", "mod_socache_shmcb.so");
    modules.emplace_back("ssl_module", "mod_ssl.so");
    if (tls->hsts) modules.emplace_back("headers_module", "mod_headers.so");
    if (tls->redirect_http) modules.emplace_back("rewrite_module", "mod_rewrite.so");
  }
  if (http2_anywhere(profile)) modules.emplace_back("http2_module", "mod_http2.so");
}

void tls_listen(ConfWriter& w, const Profile& profile) {
  if (!profile.server.tls) return;
  for (const auto& address : profile.server.tls->listen) {
    w.directive("Listen", address.to_string() + " https");
  }
}

void tls_server(ConfWriter& w, const Profile& profile, const RenderOptions& options) {
  const auto run = options.out_dir / "run";
  if (const auto& tls = profile.server.tls) {
    w.comment("TLS (server.tls): one certificate for every site, modern protocols and ciphers.");
    // httpd reads these files only when it (re)starts; this line changes with them, so a
    // SIGHUP after a renewal restarts httpd gracefully instead of recycling only the daemons.
    w.comment("Certificate, key and chain as validated: sha256 " + tls->files_digest);
    w.directive("SSLCertificateFile", directive_arg(tls->certificate.string()));
    w.directive("SSLCertificateKeyFile", directive_arg(tls->key.string()));
    if (tls->chain) w.directive("SSLCertificateChainFile", directive_arg(tls->chain->string()));
    w.directive("SSLProtocol",
                tls->min_protocol == "TLSv1.3" ? "-all +TLSv1.3" : "-all +TLSv1.2 +TLSv1.3");
    w.directive("SSLCipherSuite", directive_arg(kCipherSuite));
    w.directive("SSLHonorCipherOrder", "Off");
    w.directive("SSLSessionTickets", "Off");
    w.directive("SSLSessionCache",
                directive_arg("shmcb:" + (run / "ssl_sessions").string() + "(512000)"));
    w.directive("SSLSessionCacheTimeout", "300");
    if (tls->ocsp_stapling) {
      // Rendered only for a certificate that names an OCSP responder. A responder that does
      // not answer delays no handshake for long and sends no made-up error to clients.
      w.directive("SSLUseStapling", "On");
      w.directive("SSLStaplingCache",
                  directive_arg("shmcb:" + (run / "ssl_stapling").string() + "(128000)"));
      w.directive("SSLStaplingResponderTimeout", "5");
      w.directive("SSLStaplingReturnResponderErrors", "Off");
    }
    w.blank();
  }
  if (http2_anywhere(profile)) {
    w.comment("HTTP/2 (mod_http2): each stream is served by one of mod_http2's own threads,");
    w.comment("which then waits on the daemon as a worker thread does; the same bound applies.");
    w.directive("Protocols", protocols(profile));
    const Capacity capacity = derive_capacity(profile);
    w.directive("H2MinWorkers", std::to_string(capacity.h2_min_workers));
    w.directive("H2MaxWorkers", std::to_string(capacity.threads_per_child));
    w.blank();
  }
}

void tls_virtual_host(ConfWriter& w, const profile::Tls& tls, bool hsts) {
  w.directive("SSLEngine", "On");
  if (hsts && tls.hsts) {
    w.directive("Header", "always set Strict-Transport-Security " +
                              directive_arg("max-age=" + std::to_string(tls.hsts->count())));
  }
}

void https_redirect(ConfWriter& w, const Profile& profile) {
  const auto port = profile.server.tls->listen.front().port;
  const auto& health = profile.server.health;
  std::string probes;
  for (const auto* path : {&health.liveness, &health.readiness, &health.metrics}) {
    if (!path->empty()) probes += (probes.empty() ? "" : "|") + literal_regex(*path);
  }
  w.comment("server.tls.redirect_http: HTTPS only, but probes still answer here.");
  w.directive("RewriteEngine", "On");
  if (!probes.empty()) {
    w.directive("RewriteCond", "%{REQUEST_URI} " + directive_arg("!^(" + probes + ")(/|$)"));
  }
  // SERVER_NAME is the Host the client asked for (UseCanonicalName Off), one of this site's
  // names since the request reached this VirtualHost; the query string is kept.
  w.directive("RewriteRule",
              "^ " +
                  directive_arg("https://%{SERVER_NAME}" +
                                (port == 443 ? std::string() : ":" + std::to_string(port)) +
                                "%{REQUEST_URI}") +
                  " [R=301,L]");
}

}  // namespace wsgid::render
