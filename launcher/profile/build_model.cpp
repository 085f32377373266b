#include "build_model.hpp"

#include <algorithm>
#include <stdexcept>

#include "checks.hpp"
#include "seccomp_policy.hpp"
#include "tls_files.hpp"
#include "units.hpp"

namespace wsgid::profile {
namespace {

// The walker guarantees presence and type, so a miss here is a broken invariant, not bad input.
const toml::node& at(const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) throw std::logic_error("validated profile lacks key " + std::string(key));
  return *node;
}

std::string text(const toml::table& table, std::string_view key) {
  return at(table, key).value<std::string>().value();
}

std::string text_or_empty(const toml::table& table, std::string_view key) {
  const toml::node* node = table.get(key);
  return node == nullptr ? std::string() : node->value<std::string>().value();
}

bool boolean(const toml::table& table, std::string_view key) {
  return at(table, key).value<bool>().value();
}

std::int64_t integer(const toml::table& table, std::string_view key) {
  return at(table, key).value<std::int64_t>().value();
}

const toml::table& subtable(const toml::table& table, std::string_view key) {
  return *at(table, key).as_table();
}

std::uint64_t size(const toml::table& table, std::string_view key) {
  const toml::node& node = at(table, key);
  if (const auto* number = node.as_integer()) return static_cast<std::uint64_t>(number->get());
  return parse_size(node.value<std::string>().value()).value();
}

Seconds seconds(const toml::table& table, std::string_view key) {
  return std::chrono::duration_cast<Seconds>(parse_duration(text(table, key)).value());
}

std::optional<Seconds> optional_seconds(const toml::table& table, std::string_view key) {
  if (table.get(key) == nullptr) return std::nullopt;
  return seconds(table, key);
}

std::vector<std::string> texts(const toml::table& table, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* array = table.get_as<toml::array>(key)) {
    for (const toml::node& element : *array) out.push_back(element.value<std::string>().value());
  }
  return out;
}

Limits build_limits(const toml::table& t) {
  Limits limits;
  limits.request_body = size(t, "request_body");
  limits.header_fields = static_cast<int>(integer(t, "header_fields"));
  limits.header_field_size = size(t, "header_field_size");
  limits.request_line = size(t, "request_line");
  limits.timeout = seconds(t, "timeout");
  limits.keepalive_timeout = seconds(t, "keepalive_timeout");
  limits.header_timeout = seconds(t, "header_timeout");
  limits.body_timeout = seconds(t, "body_timeout");
  limits.min_rate = static_cast<int>(integer(t, "min_rate"));
  limits.slow_clients = static_cast<int>(integer(t, "slow_clients"));
  return limits;
}

Health build_health(const toml::table& t) {
  const auto endpoint = [&](std::string_view key) {
    std::string path = text(t, key);
    return path == "off" ? std::string() : path;
  };
  Health health;
  health.liveness = endpoint("liveness");
  health.readiness = endpoint("readiness");
  health.metrics = endpoint("metrics");
  health.allow = texts(t, "allow");
  health.access_log = boolean(t, "access_log");
  return health;
}

// "listen" is a string or an array of them.
std::vector<ListenAddress> listen_addresses(const toml::table& t) {
  const toml::node& listen = at(t, "listen");
  std::vector<std::string> addresses =
      listen.is_array() ? texts(t, "listen") : std::vector{listen.value<std::string>().value()};
  std::vector<ListenAddress> out;
  for (const auto& address : addresses) out.push_back(parse_listen(address).value());
  return out;
}

std::optional<Tls> build_tls(const toml::table& t) {
  if (t.get("certificate") == nullptr) return std::nullopt;
  Tls tls;
  tls.listen = listen_addresses(t);
  tls.certificate = text(t, "certificate");
  tls.key = text(t, "key");
  if (t.get("chain") != nullptr) tls.chain = text(t, "chain");
  tls.min_protocol = text(t, "min_protocol");
  // The files were checked a moment ago (cross_checks.cpp); read again for what render needs.
  const TlsInspection files =
      inspect_tls_files(tls.certificate, tls.key, tls.chain, std::chrono::system_clock::now());
  tls.ocsp_stapling = boolean(t, "ocsp_stapling") && files.ocsp_responder;
  tls.files_digest = files.digest;
  if (text(t, "hsts") != "off") tls.hsts = seconds(t, "hsts");
  tls.redirect_http = boolean(t, "redirect_http");
  tls.http2 = boolean(t, "http2");
  return tls;
}

Server build_server(const toml::table& t) {
  Server server;
  server.listen = listen_addresses(t);
  server.server_name = text(t, "server_name");
  const std::string logs = text(t, "logs");
  if (logs == "stdout") {
    server.logs = LogTarget::kStdout;
  } else if (logs == "stderr") {
    server.logs = LogTarget::kStderr;
  } else {
    server.logs = LogTarget::kDirectory;
    server.log_directory = logs;
  }
  const std::string access = text(t, "access_log");
  server.access_log = access == "common" ? AccessLogFormat::kCommon
                      : access == "json" ? AccessLogFormat::kJson
                      : access == "off"  ? AccessLogFormat::kOff
                                         : AccessLogFormat::kCombined;
  server.log_level = text(t, "log_level");
  server.user = text(t, "user");
  server.group = text(t, "group");
  server.graceful_stop_timeout = seconds(t, "graceful_stop_timeout");
  server.limits = build_limits(subtable(t, "limits"));
  server.health = build_health(subtable(t, "health"));
  server.trusted_proxies = texts(t, "trusted_proxies");
  server.tls = build_tls(subtable(t, "tls"));
  server.h2c = boolean(t, "h2c");
  server.raw_directives = texts(t, "raw_directives");
  return server;
}

Daemon build_daemon(const toml::table& t) {
  Daemon daemon;
  daemon.processes = static_cast<int>(integer(t, "processes"));
  daemon.threads = static_cast<int>(integer(t, "threads"));
  daemon.user = text_or_empty(t, "user");
  daemon.group = text_or_empty(t, "group");
  daemon.maximum_requests = integer(t, "maximum_requests");
  daemon.maximum_requests_jitter = integer(t, "maximum_requests_jitter");
  daemon.graceful_timeout = optional_seconds(t, "graceful_timeout");
  daemon.shutdown_timeout = optional_seconds(t, "shutdown_timeout");
  daemon.connect_timeout = optional_seconds(t, "connect_timeout");
  daemon.socket_timeout = optional_seconds(t, "socket_timeout");
  daemon.request_timeout = optional_seconds(t, "request_timeout");
  daemon.queue_timeout = optional_seconds(t, "queue_timeout");
  daemon.inactivity_timeout = optional_seconds(t, "inactivity_timeout");
  daemon.cpu_time_limit = optional_seconds(t, "cpu_time_limit");
  daemon.cpu_priority = static_cast<int>(integer(t, "cpu_priority"));
  daemon.memory_limit = size(t, "memory_limit");
  daemon.display_name = text_or_empty(t, "display_name");
  return daemon;
}

Sandbox build_sandbox(const toml::table& t) {
  Sandbox out;
  out.seccomp = read_seccomp_policy(t);
  out.filesystem = boolean(t, "filesystem");
  for (const auto& path : texts(t, "read")) out.read.emplace_back(path);
  for (const auto& path : texts(t, "write")) out.write.emplace_back(path);
  return out;
}

App build_app(const std::string& spec) {
  App app;
  if (checks::is_module_app(spec)) {
    const auto colon = spec.find(':');
    app.kind = App::Kind::kModule;
    app.module = spec.substr(0, colon);
    app.callable = spec.substr(colon + 1);
  } else {
    app.kind = App::Kind::kScript;
    app.script = spec;
  }
  return app;
}

BasicAuth build_basic_auth(const toml::table& t) {
  BasicAuth auth;
  if (t.get("htpasswd") != nullptr) auth.htpasswd = text(t, "htpasswd");
  auth.realm = text(t, "realm");
  auth.paths = texts(t, "paths");
  return auth;
}

PythonAuth build_python_auth(const toml::table& t) {
  PythonAuth auth;
  auth.check_password = text_or_empty(t, "check_password");
  auth.groups_for_user = text_or_empty(t, "groups_for_user");
  auth.groups = texts(t, "groups");
  auth.allow_access = text_or_empty(t, "allow_access");
  auth.realm = text(t, "realm");
  auth.paths = texts(t, "paths");
  return auth;
}

Site build_site(const toml::table& t) {
  Site site;
  site.name = text(t, "name");
  site.server_name = text(t, "server_name");
  site.aliases = texts(t, "aliases");
  site.app = build_app(text(t, "app"));
  site.mount = text(t, "mount");
  if (t.get("python_home") != nullptr) site.python_home = text(t, "python_home");
  for (const auto& entry : texts(t, "python_path")) site.python_path.emplace_back(entry);
  // toml++ tables are ordered maps, so env and static come out sorted: deterministic output.
  for (auto&& [name, value] : subtable(t, "env")) {
    site.env.emplace_back(std::string(name.str()), value.value<std::string>().value());
  }
  for (auto&& [url, value] : subtable(t, "static")) {
    if (const auto* mount = value.as_table()) {
      site.statics.push_back({std::string(url.str()), text(*mount, "path"),
                              optional_seconds(*mount, "max_age"), boolean(*mount, "immutable")});
    } else {
      site.statics.push_back({std::string(url.str()), value.value<std::string>().value()});
    }
  }
  if (t.get("error_log") != nullptr) site.error_log = text(t, "error_log");
  site.pass_authorization = boolean(t, "pass_authorization");
  site.is_default = boolean(t, "default");
  site.basic_auth = build_basic_auth(subtable(t, "basic_auth"));
  site.python_auth = build_python_auth(subtable(t, "python_auth"));
  site.compression = boolean(t, "compression");
  site.daemon = build_daemon(subtable(t, "daemon"));
  site.sandbox = build_sandbox(subtable(t, "sandbox"));
  return site;
}

}  // namespace

Profile build_model(const toml::table& root, const std::filesystem::path& file) {
  Profile profile;
  profile.file = file;
  profile.server = build_server(subtable(root, "server"));
  for (const toml::node& site : *at(root, "site").as_array()) {
    profile.sites.push_back(build_site(*site.as_table()));
  }
  return profile;
}

}  // namespace wsgid::profile
