#include "httpd_conf.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "capacity.hpp"
#include "conf_writer.hpp"
#include "directive_arg.hpp"
#include "health_locations.hpp"
#include "trusted_proxies.hpp"

namespace wsgid::render {
namespace {

using profile::AccessLogFormat;
using profile::LogTarget;
using profile::Profile;

constexpr std::string_view kModulesDir = "/usr/lib/apache2/modules/";

std::string path_arg(const std::filesystem::path& path) { return directive_arg(path.string()); }

std::string number(std::int64_t value) { return std::to_string(value); }

void load_module(ConfWriter& w, std::string_view name, std::string_view file) {
  w.directive("LoadModule", std::string(name) + " " +
                                directive_arg(std::string(kModulesDir) + std::string(file)));
}

bool any_static(const Profile& profile) {
  return std::any_of(profile.sites.begin(), profile.sites.end(),
                     [](const auto& site) { return !site.statics.empty(); });
}

std::string_view access_log_format(AccessLogFormat format) {
  switch (format) {
    case AccessLogFormat::kCommon:
      return "%h %l %u %t \"%r\" %>s %b %{WSGID_REQUEST_ID}e %{WSGID_TRACE_ID}e";
    case AccessLogFormat::kJson:
      // One JSON object per line; %v names the site's vhost so sites can be told apart.
      return "{\"time\":\"%{%Y-%m-%dT%H:%M:%S%z}t\",\"request_id\":\"%{WSGID_REQUEST_ID}e\","
             "\"trace_id\":\"%{WSGID_TRACE_ID}e\","
             "\"site\":\"%v\",\"remote\":\"%a\","
             "\"method\":\"%m\",\"path\":\"%U\",\"query\":\"%q\",\"protocol\":\"%H\","
             "\"status\":%>s,\"bytes\":%B,\"duration_us\":%D,\"referer\":\"%{Referer}i\","
             "\"user_agent\":\"%{User-Agent}i\"}";
    case AccessLogFormat::kCombined:
    case AccessLogFormat::kOff:
      break;
  }
  // The request id (mod_wsgid sets it for every request, honouring a sane X-Request-ID) and the
  // W3C trace id (from a valid traceparent, or made at the edge) come last, so tools reading
  // the classic fields are not disturbed.
  return "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %{WSGID_REQUEST_ID}e "
         "%{WSGID_TRACE_ID}e";
}

void runtime(ConfWriter& w, const Profile& profile, const RenderOptions& options) {
  const auto run = options.out_dir / "run";
  w.directive("ServerRoot", path_arg(options.out_dir));
  w.directive("DefaultRuntimeDir", path_arg(run));
  w.directive("PidFile", path_arg(run / "httpd.pid"));
  w.directive("Mutex", directive_arg("file:" + run.string()) + " default");
  w.directive("DocumentRoot", path_arg(options.out_dir / "htdocs"));
  if (options.wsgi_directives) w.directive("WSGISocketPrefix", path_arg(run / "wsgi"));
  w.directive("User", directive_arg(profile.server.user));
  w.directive("Group", directive_arg(profile.server.group));
  w.directive("ServerName", directive_arg(profile.server.server_name));
  for (const auto& address : profile.server.listen) w.directive("Listen", address.to_string());
  w.blank();
}

bool any_site(const Profile& profile, bool (*wants)(const profile::Site&)) {
  return std::any_of(profile.sites.begin(), profile.sites.end(), wants);
}

// LoadModule lines in order, each module once however many features need it. The image ships
// exactly the mod_*.so files named in launcher/render (Dockerfile), so name them literally.
class ModuleList {
 public:
  explicit ModuleList(ConfWriter& w) : w_(w) {}
  void add(std::string_view name, std::string_view file) {
    if (std::find(loaded_.begin(), loaded_.end(), name) != loaded_.end()) return;
    loaded_.emplace_back(name);
    load_module(w_, name, file);
  }

 private:
  ConfWriter& w_;
  std::vector<std::string> loaded_;
};

void modules(ConfWriter& w, const Profile& profile, const RenderOptions& options) {
  w.comment("Only the modules this profile needs.");
  ModuleList m(w);
  m.add("mpm_event_module", "mod_mpm_event.so");
  m.add("authz_core_module", "mod_authz_core.so");
  m.add("reqtimeout_module", "mod_reqtimeout.so");
  if (profile.server.health.any()) m.add("authz_host_module", "mod_authz_host.so");
  if (any_static(profile)) {
    m.add("alias_module", "mod_alias.so");
    m.add("mime_module", "mod_mime.so");
    m.add("headers_module", "mod_headers.so");
    m.add("rewrite_module", "mod_rewrite.so");
  }
  if (any_site(profile, [](const auto& site) { return site.basic_auth.htpasswd.has_value(); })) {
    m.add("auth_basic_module", "mod_auth_basic.so");
    m.add("authn_core_module", "mod_authn_core.so");
    m.add("authn_file_module", "mod_authn_file.so");
    m.add("authz_user_module", "mod_authz_user.so");
  }
  if (any_site(profile,
               [](const auto& site) { return !site.python_auth.check_password.empty(); })) {
    // The authn provider "wsgi" and authz provider "wsgi-group" are mod_wsgid's own.
    m.add("auth_basic_module", "mod_auth_basic.so");
    m.add("authn_core_module", "mod_authn_core.so");
    m.add("authz_user_module", "mod_authz_user.so");
  }
  if (any_site(profile, [](const auto& site) { return site.compression; })) {
    m.add("filter_module", "mod_filter.so");
    m.add("brotli_module", "mod_brotli.so");
    m.add("deflate_module", "mod_deflate.so");
    m.add("headers_module", "mod_headers.so");
  }
  if (!profile.server.trusted_proxies.empty()) {
    m.add("remoteip_module", "mod_remoteip.so");
    m.add("setenvif_module", "mod_setenvif.so");
    m.add("headers_module", "mod_headers.so");
  }
  w.directive("LoadModule", "wsgid_module " + directive_arg(options.module_path));
  if (any_static(profile)) w.directive("TypesConfig", directive_arg("/etc/mime.types"));
  w.blank();
}

void hardening(ConfWriter& w, const Profile& profile) {
  const auto& limits = profile.server.limits;
  w.comment("Hardening: reveal nothing, refuse TRACE, deny the filesystem unless granted.");
  w.directive("ServerTokens", "Prod");
  w.directive("ServerSignature", "Off");
  w.directive("TraceEnable", "Off");
  w.directive("FileETag", "None");
  w.open("Directory", "\"/\"");
  w.directive("AllowOverride", "None");
  w.directive("Options", "None");
  w.directive("Require", "all denied");
  w.close("Directory");
  w.blank();
  w.comment("Limits against slow or oversized requests.");
  w.directive("Timeout", number(limits.timeout.count()));
  w.directive("KeepAlive", "On");
  w.directive("KeepAliveTimeout", number(limits.keepalive_timeout.count()));
  // httpd refuses LimitRequestBody above 2 GiB - 1.
  w.directive("LimitRequestBody", number(static_cast<std::int64_t>(std::min<std::uint64_t>(
                                      limits.request_body, 2147483647ULL))));
  w.directive("LimitRequestFields", number(limits.header_fields));
  w.directive("LimitRequestFieldSize", number(static_cast<std::int64_t>(limits.header_field_size)));
  w.directive("LimitRequestLine", number(static_cast<std::int64_t>(limits.request_line)));
  const std::string rate = ",MinRate=" + number(limits.min_rate);
  w.directive("RequestReadTimeout", "header=" + number(limits.header_timeout.count()) + rate +
                                        " body=" + number(limits.body_timeout.count()) + rate);
  w.directive("GracefulShutdownTimeout", number(profile.server.graceful_stop_timeout.count()));
  w.blank();
}

void capacity(ConfWriter& w, const Profile& profile) {
  const Capacity c = derive_capacity(profile);
  w.comment("Capacity (render/capacity.hpp): one child holds the WSGI working set (twice the");
  w.comment("daemons' threads, at least 256), more children hold limits.slow_clients.");
  // All children from the start and none retired: under a flood of slow clients there is no
  // time to ramp up, and a child retired for being idle closes its keep-alive connections.
  w.directive("StartServers", number(c.children));
  w.directive("ServerLimit", number(c.server_limit));
  w.directive("ThreadLimit", number(c.threads_per_child));
  w.directive("ThreadsPerChild", number(c.threads_per_child));
  w.directive("MaxRequestWorkers", number(c.max_request_workers));
  w.directive("MinSpareThreads", number(c.threads_per_child));
  w.directive("MaxSpareThreads", number(c.max_request_workers));
  w.directive("MaxConnectionsPerChild", "0");
  // Each worker thread's allocator otherwise keeps up to 2 MiB of freed memory: with large
  // responses (1 MiB frames) a worker of 25 threads grew to ~47 MiB in the benchmark.
  w.directive("MaxMemFree", "256");
  w.blank();
}

void logging(ConfWriter& w, const Profile& profile) {
  const auto& server = profile.server;
  std::string error_log = "/dev/stderr";
  std::string access_log = server.logs == LogTarget::kStdout ? "/dev/stdout" : "/dev/stderr";
  if (server.logs == LogTarget::kDirectory) {
    error_log = (server.log_directory / "error.log").string();
    access_log = (server.log_directory / "access.log").string();
  }
  w.directive("ErrorLog", directive_arg(error_log));
  w.directive("LogLevel", server.log_level);
  if (server.access_log != AccessLogFormat::kOff) {
    w.directive("LogFormat", directive_arg(access_log_format(server.access_log)) + " wsgid");
    std::string custom_log = directive_arg(access_log) + " wsgid";
    if (server.health.any() && !server.health.access_log) {
      // Probes every few seconds would drown the requests people read the log for. Matched by
      // handler, not path: a probe refused by `allow` (403) never gets one, so it is logged.
      custom_log.append(" ").append(
          directive_arg("expr=! %{HANDLER} =~ /^wsgid-(health|ready|metrics)$/"));
    }
    w.directive("CustomLog", custom_log);
  }
  w.blank();
}

const profile::Site* default_site(const Profile& profile) {
  const auto it = std::find_if(profile.sites.begin(), profile.sites.end(),
                               [](const auto& site) { return site.is_default; });
  return it == profile.sites.end() ? nullptr : &*it;
}

// The body of the 421: the host names that do work, so a wrong Host explains itself.
std::string misdirected_body(const Profile& profile) {
  std::string names;
  for (const auto& site : profile.sites) {
    names += (names.empty() ? "" : ", ") + site.server_name;
    for (const auto& alias : site.aliases) names += ", " + alias;
  }
  return "Misdirected Request: no site here answers for this Host. Configured host names: " +
         names + ".";
}

void catch_all(ConfWriter& w, const Profile& profile) {
  w.comment("Catch-all first vhost: a Host header naming no site gets 421 and the names that");
  w.comment("work (mod_wsgid logs WSGID0180), so sites cannot be reached by IP address or by a");
  w.comment("forged Host. A site with `default = true` takes this place instead.");
  w.open("VirtualHost", virtual_host_addresses(profile));
  w.directive("ServerName", directive_arg("unknown-host.invalid"));
  w.directive("ErrorDocument", "421 " + directive_arg(misdirected_body(profile)));
  w.open("Location", "\"/\"");
  w.directive("SetHandler", "wsgid-misdirected");
  w.directive("Require", "all granted");
  w.close("Location");
  health_locations(w, profile.server.health);
  w.close("VirtualHost");
  w.blank();
}

}  // namespace

std::string virtual_host_addresses(const Profile& profile) {
  std::vector<std::string> addresses;
  for (const auto& listen : profile.server.listen) {
    std::string address =
        (listen.is_wildcard() ? std::string("*") : listen.host) + ":" + std::to_string(listen.port);
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) {
      addresses.push_back(address);
    }
  }
  std::string out;
  for (const auto& address : addresses) out += (out.empty() ? "" : " ") + address;
  return out;
}

std::string render_httpd_conf(const Profile& profile, const RenderOptions& options) {
  ConfWriter w;
  w.comment("Generated by wsgid from " + profile.file.string() + ".");
  w.comment("Do not edit: change the profile and run `wsgid render` again.");
  w.blank();
  w.comment("Lets argument values contain a literal \"${\" (see render/directive_arg.hpp).");
  w.directive("Define", std::string(kDollarDefine) + " $");
  w.blank();
  runtime(w, profile, options);
  modules(w, profile, options);
  hardening(w, profile);
  capacity(w, profile);
  if (options.wsgi_directives) {
    w.comment("Python runs only in the daemon groups, never in httpd's own processes.");
    w.directive("WSGIRestrictEmbedded", "On");
    w.directive("WSGILazyInitialization", "On");
    w.blank();
  }
  logging(w, profile);
  trusted_proxies(w, profile.server);
  if (!profile.server.raw_directives.empty()) {
    w.comment("server.raw_directives from the profile, verbatim.");
    for (const auto& line : profile.server.raw_directives) w.directive(line);
    w.blank();
  }
  // httpd gives a Host no vhost names to the first vhost of the address.
  const profile::Site* fallback = default_site(profile);
  if (fallback == nullptr) catch_all(w, profile);
  const auto include = [&](const profile::Site& site) {
    w.directive("Include", path_arg(options.out_dir / "sites" / (site.name + ".conf")));
  };
  if (fallback != nullptr) include(*fallback);
  for (const auto& site : profile.sites) {
    if (&site != fallback) include(site);
  }
  return w.text();
}

}  // namespace wsgid::render
