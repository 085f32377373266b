#include "profile_schema.hpp"

#include <array>

#include "checks.hpp"

namespace wsgid::profile {
namespace {

constexpr std::array<std::string_view, 4> kAccessLogFormats{"common", "combined", "json", "off"};
constexpr std::array<std::string_view, 8> kLogLevels{"emerg", "alert",  "crit", "error",
                                                     "warn",  "notice", "info", "debug"};
constexpr std::array<std::string_view, 2> kSeccompModes{"default", "off"};
constexpr std::array<std::string_view, 3> kSandboxActions{"errno", "kill", "log"};

constexpr std::string_view kWholeSeconds = "a duration in whole seconds, such as \"30s\"";
constexpr std::string_view kUpToAYear = "a duration in whole seconds of at most a year";
constexpr std::string_view kSize = "a size such as \"10MiB\" or a number of bytes";

// Shorthands keep each table row on one line, readable as a table.
constexpr FieldSpec seconds(std::string_view key, Default fallback = {}) {
  return {.key = key,
          .kinds = kString,
          .fallback = fallback,
          .accepted = kWholeSeconds,
          .check = checks::whole_seconds};
}
constexpr FieldSpec integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                            std::int64_t max, std::string_view accepted) {
  return {.key = key,
          .kinds = kInteger,
          .fallback = fallback,
          .accepted = accepted,
          .min = min,
          .max = max};
}
constexpr FieldSpec string(std::string_view key, Default fallback, std::string_view accepted,
                           Check check, bool required = false) {
  return {.key = key,
          .kinds = kString,
          .required = required,
          .fallback = fallback,
          .accepted = accepted,
          .check = check};
}
template <std::size_t N>
constexpr FieldSpec choice(std::string_view key, std::string_view fallback,
                           const std::array<std::string_view, N>& values,
                           std::string_view accepted) {
  return {
      .key = key, .kinds = kString, .fallback = fallback, .accepted = accepted, .one_of = values};
}
constexpr FieldSpec strings(std::string_view key, std::string_view accepted, Check check) {
  return {
      .key = key, .kinds = kArray, .accepted = accepted, .check = check, .element_kinds = kString};
}
constexpr FieldSpec table(std::string_view key, const TableSpec& child) {
  return {.key = key, .kinds = kTable, .accepted = "a table", .child = &child};
}

constexpr std::array kLimitsFields{
    FieldSpec{.key = "request_body",
              .kinds = kString | kInteger,
              .fallback = "10MiB",
              .accepted = kSize,
              .check = checks::size},
    integer("header_fields", 100, 1, 32767, "an integer from 1 to 32767"),
    FieldSpec{.key = "header_field_size",
              .kinds = kString | kInteger,
              .fallback = "8KiB",
              .accepted = kSize,
              .check = checks::size},
    FieldSpec{.key = "request_line",
              .kinds = kString | kInteger,
              .fallback = "8KiB",
              .accepted = kSize,
              .check = checks::size},
    seconds("timeout", "60s"),
    seconds("keepalive_timeout", "5s"),
    seconds("header_timeout", "20s"),
    seconds("body_timeout", "20s"),
    integer("min_rate", 500, 1, 1'000'000'000, "bytes per second: an integer from 1 to 1000000000"),
    integer("slow_clients", 1000, 0, 20000, "an integer from 0 to 20000"),
};
constexpr TableSpec kLimits{.name = "server.limits", .fields = kLimitsFields};

// Loopback and the private ranges: where probes and scrapers inside a cluster come from.
constexpr std::array<std::string_view, 5> kDefaultHealthClients{"127.0.0.0/8", "::1", "10.0.0.0/8",
                                                                "172.16.0.0/12", "192.168.0.0/16"};
constexpr std::string_view kEndpointAccepted = "a URL path such as \"/-/healthz\", or \"off\"";

constexpr std::array kHealthFields{
    string("liveness", "/-/healthz", kEndpointAccepted, checks::endpoint_path),
    string("readiness", "/-/readyz", kEndpointAccepted, checks::endpoint_path),
    string("metrics", "/-/metrics", kEndpointAccepted, checks::endpoint_path),
    FieldSpec{.key = "allow",
              .kinds = kArray,
              .fallback = std::span<const std::string_view>(kDefaultHealthClients),
              .accepted = "a non-empty array of IP addresses, CIDR networks or \"all\", such as "
                          "[\"127.0.0.1\", \"10.0.0.0/8\"]",
              .check = checks::client_network,
              .element_kinds = kString,
              .min = 1},
    FieldSpec{
        .key = "access_log", .kinds = kBoolean, .fallback = false, .accepted = "true or false"},
};
constexpr TableSpec kHealth{.name = "server.health", .fields = kHealthFields};

constexpr std::array kServerFields{
    FieldSpec{.key = "listen",
              .kinds = kString | kArray,
              .fallback = "0.0.0.0:8080",
              .accepted = "an address such as \"0.0.0.0:8080\", or a non-empty array of them",
              .check = checks::listen,
              .element_kinds = kString,
              .min = 1},
    string("server_name", "localhost", "a host name such as \"example.com\"", checks::host_name),
    string("logs", "stdout", "\"stdout\", \"stderr\" or an existing directory", checks::log_target),
    choice("access_log", "combined", kAccessLogFormats,
           "one of \"common\", \"combined\", \"json\" or \"off\""),
    choice("log_level", "warn", kLogLevels,
           "one of \"emerg\", \"alert\", \"crit\", \"error\", \"warn\", \"notice\", \"info\" or "
           "\"debug\""),
    string("user", "www-data", "a user name such as \"www-data\"", checks::user_account),
    string("group", "www-data", "a group name such as \"www-data\"", checks::group_account),
    seconds("graceful_stop_timeout", "30s"),
    table("limits", kLimits),
    table("health", kHealth),
    strings("trusted_proxies",
            "an array of the proxies' IP addresses or CIDR networks, such as [\"10.0.0.0/8\"]",
            checks::trusted_proxy),
    strings("raw_directives", "an array of httpd directive lines", nullptr),
};
constexpr TableSpec kServer{.name = "server", .fields = kServerFields};

constexpr std::array kDaemonFields{
    integer("processes", 1, 1, 256, "an integer from 1 to 256"),
    integer("threads", 15, 1, 1024, "an integer from 1 to 1024"),
    string("user", {}, "a user name such as \"shop\"", checks::user_account),
    string("group", {}, "a group name such as \"shop\"", checks::group_account),
    integer("maximum_requests", 0, 0, 1'000'000'000,
            "an integer from 0 (never recycle) to 1000000000"),
    integer("maximum_requests_jitter", 0, 0, 1'000'000'000, "an integer from 0 to 1000000000"),
    seconds("graceful_timeout"),
    seconds("shutdown_timeout"),
    seconds("connect_timeout"),
    seconds("socket_timeout"),
    seconds("request_timeout"),
    seconds("queue_timeout"),
    seconds("inactivity_timeout"),
    string("cpu_time_limit", {}, kUpToAYear, checks::up_to_a_year),
    FieldSpec{.key = "memory_limit",
              .kinds = kString | kInteger,
              .fallback = std::int64_t{0},
              .accepted = "0 (no limit) or a size such as \"512MiB\"",
              .check = checks::memory_limit},
    integer("cpu_priority", 0, -20, 19, "an integer from -20 to 19"),
    string("display_name", {}, "a process name such as \"shop-wsgi\" or \"%{GROUP}\"",
           checks::display_name),
};
constexpr TableSpec kDaemon{.name = "site.daemon", .fields = kDaemonFields};

constexpr std::array kSandboxFields{
    choice("seccomp", "default", kSeccompModes, "\"default\" or \"off\""),
    strings("allow", "an array of syscall groups or names such as [\"@network-io\"]", nullptr),
    strings("deny", "an array of syscall groups or names such as [\"@mount\"]", nullptr),
    choice("action", "errno", kSandboxActions, "\"errno\", \"kill\" or \"log\""),
    FieldSpec{
        .key = "filesystem", .kinds = kBoolean, .fallback = true, .accepted = "true or false"},
    strings("read", "an array of absolute paths such as [\"/srv/shop/media\"]",
            checks::sandbox_path),
    strings("write", "an array of absolute paths such as [\"/srv/shop/uploads\"]",
            checks::sandbox_path),
};
constexpr TableSpec kSandbox{.name = "site.sandbox", .fields = kSandboxFields};

constexpr FieldSpec kEnvValue{.key = "", .kinds = kString, .accepted = "a string"};
constexpr TableSpec kEnv{
    .name = "site.env", .key_check = checks::env_name, .value_field = &kEnvValue};

constexpr std::string_view kStaticDirectory = "the path of an existing directory";
constexpr std::array kStaticMountFields{
    string("path", {}, kStaticDirectory, checks::static_directory, true),
    string("max_age", {}, kUpToAYear, checks::up_to_a_year),
    FieldSpec{
        .key = "immutable", .kinds = kBoolean, .fallback = false, .accepted = "true or false"},
};
constexpr TableSpec kStaticMount{.name = "site.static.*", .fields = kStaticMountFields};
// A directory path, or a table that adds browser caching to it.
constexpr FieldSpec kStaticValue{
    .key = "",
    .kinds = kString | kTable,
    .accepted =
        "the path of an existing directory, or a table such as { path = \"static\", "
        "max_age = \"1y\", immutable = true }",
    .check = checks::static_directory,
    .child = &kStaticMount};
constexpr TableSpec kStatic{
    .name = "site.static", .key_check = checks::url_path, .value_field = &kStaticValue};

constexpr std::array<std::string_view, 1> kWholeHost{"/"};
// basic_auth and python_auth: where credentials are asked for, and the name browsers show.
constexpr FieldSpec kAuthPaths{.key = "paths",
                               .kinds = kArray,
                               .fallback = std::span<const std::string_view>(kWholeHost),
                               .accepted = "a non-empty array of URL paths such as [\"/admin\"]",
                               .check = checks::url_path,
                               .element_kinds = kString,
                               .min = 1};
constexpr FieldSpec kRealm =
    string("realm", "Restricted", "a realm name such as \"Shop admin\"", checks::realm);
constexpr std::array kBasicAuthFields{
    string("htpasswd", {}, "an htpasswd file of bcrypt entries (htpasswd -B)",
           checks::htpasswd_file),
    kRealm,
    kAuthPaths,
};
constexpr TableSpec kBasicAuth{.name = "site.basic_auth", .fields = kBasicAuthFields};

constexpr std::string_view kPythonHook =
    "a Python function as \"package.module:function\", such as \"shop.auth:check_password\"";
constexpr std::array kPythonAuthFields{
    string("check_password", {}, kPythonHook, checks::python_hook),
    string("groups_for_user", {}, kPythonHook, checks::python_hook),
    strings("groups", "an array of group names such as [\"staff\"]", checks::group_name),
    string("allow_access", {}, kPythonHook, checks::python_hook),
    kRealm,
    kAuthPaths,
};
constexpr TableSpec kPythonAuth{.name = "site.python_auth", .fields = kPythonAuthFields};

constexpr std::array kSiteFields{
    string("name", {}, "a site name such as \"shop\"", checks::site_name, true),
    string("server_name", {}, "a host name such as \"shop.example.com\"", checks::host_name, true),
    strings("aliases", "an array of host names such as [\"www.shop.example.com\"]",
            checks::host_alias),
    string("app", {}, "a WSGI script path such as \"app/wsgi.py\" or \"package.module:callable\"",
           checks::app, true),
    string("mount", "/", "a URL path such as \"/\" or \"/shop\"", checks::url_path),
    string("python_home", {}, "the directory of a virtualenv or Python installation",
           checks::python_home),
    strings("python_path", "an array of existing directories", checks::python_path_entry),
    table("env", kEnv),
    table("static", kStatic),
    string("error_log", {}, "a log file path", checks::log_file),
    FieldSpec{.key = "pass_authorization",
              .kinds = kBoolean,
              .fallback = false,
              .accepted = "true or false"},
    FieldSpec{.key = "default", .kinds = kBoolean, .fallback = false, .accepted = "true or false"},
    table("basic_auth", kBasicAuth),
    table("python_auth", kPythonAuth),
    FieldSpec{
        .key = "compression", .kinds = kBoolean, .fallback = true, .accepted = "true or false"},
    table("daemon", kDaemon),
    table("sandbox", kSandbox),
};
constexpr TableSpec kSite{.name = "site", .fields = kSiteFields};

constexpr std::array kRootFields{
    table("server", kServer),
    FieldSpec{.key = "site",
              .kinds = kArray,
              .required = true,
              .accepted = "one or more [[site]] tables",
              .child = &kSite,
              .element_kinds = kTable,
              .min = 1},
};
constexpr TableSpec kRoot{.name = "", .fields = kRootFields};

}  // namespace

const TableSpec& profile_schema() { return kRoot; }

}  // namespace wsgid::profile
