// The validated profile: what the renderer consumes. Every value here has passed the schema
// checks, paths are absolute, and defaults are filled in.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "listen_address.hpp"

namespace wsgid::profile {

using Seconds = std::chrono::seconds;

enum class LogTarget { kStdout, kStderr, kDirectory };
enum class AccessLogFormat { kCommon, kCombined, kJson, kOff };

struct Limits {
  std::uint64_t request_body = 0;
  int header_fields = 0;
  std::uint64_t header_field_size = 0;
  std::uint64_t request_line = 0;
  Seconds timeout{};
  Seconds keepalive_timeout{};
  Seconds header_timeout{};
  Seconds body_timeout{};
  int min_rate = 0;  // bytes per second a client must keep up while sending
  // Connections that may sit in their headers at once (each holds a worker thread until its
  // request is read) without taking a thread from the requests behind them.
  int slow_clients = 0;
};

// The module's own endpoints, answered in httpd's workers for any Host header; an empty
// path means the endpoint is off.
struct Health {
  std::string liveness;
  std::string readiness;
  std::string metrics;
  std::vector<std::string> allow;  // IP addresses and CIDR networks, as written
  bool access_log = false;         // probes and scrapes in the access log too

  bool any() const { return !liveness.empty() || !readiness.empty() || !metrics.empty(); }
};

struct Server {
  std::vector<ListenAddress> listen;
  std::string server_name;
  LogTarget logs = LogTarget::kStdout;
  std::filesystem::path log_directory;  // when logs == kDirectory
  AccessLogFormat access_log = AccessLogFormat::kCombined;
  std::string log_level;
  std::string user;
  std::string group;
  Seconds graceful_stop_timeout{};
  Limits limits;
  Health health;
  // Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (IP addresses and CIDR
  // networks, as written); empty: nobody's, and the headers reach apps untouched.
  std::vector<std::string> trusted_proxies;
  std::vector<std::string> raw_directives;
};

struct App {
  enum class Kind { kScript, kModule } kind = Kind::kScript;
  std::filesystem::path script;  // kScript
  std::string module;            // kModule: "package.module"
  std::string callable;          // kModule: attribute imported as `application`
};

struct StaticMount {
  std::string url_path;
  std::filesystem::path directory;
  std::optional<Seconds> max_age;  // Cache-Control: max-age; none: browsers revalidate by ETag
  bool immutable = false;          // hashed names (collectstatic): never revalidate
};

struct Daemon {
  int processes = 1;
  int threads = 1;
  std::string user;   // empty: httpd's user
  std::string group;  // empty: httpd's group
  std::int64_t maximum_requests = 0;
  std::int64_t maximum_requests_jitter = 0;
  std::optional<Seconds> graceful_timeout;
  std::optional<Seconds> shutdown_timeout;
  std::optional<Seconds> connect_timeout;
  std::optional<Seconds> socket_timeout;
  std::optional<Seconds> request_timeout;
  std::optional<Seconds> queue_timeout;
  std::optional<Seconds> inactivity_timeout;
  std::optional<Seconds> cpu_time_limit;
  int cpu_priority = 0;
  std::uint64_t memory_limit = 0;  // resident bytes; 0: none
  std::string display_name;        // empty: the module's default
};

struct Sandbox {
  bool seccomp = true;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  std::string action;  // "errno", "kill" or "log"
  // Landlock: the daemons open only the app, Python and system files, plus these.
  bool filesystem = true;
  std::vector<std::filesystem::path> read;
  std::vector<std::filesystem::path> write;
};

// httpd Basic auth in front of the site: on when `htpasswd` is given.
struct BasicAuth {
  std::optional<std::filesystem::path> htpasswd;
  std::string realm;
  std::vector<std::string> paths;  // URL paths on the site's host
};

// Python auth hooks ("package.module:function", empty when not set), run in the site's own
// daemons (render/python_auth.hpp).
struct PythonAuth {
  std::string check_password;
  std::string groups_for_user;
  std::vector<std::string> groups;  // Require wsgi-group: any one of these
  std::string allow_access;
  std::string realm;
  std::vector<std::string> paths;  // URL paths on the site's host

  bool any() const {
    return !check_password.empty() || !groups_for_user.empty() || !allow_access.empty();
  }
};

struct Site {
  std::string name;
  std::string server_name;
  std::vector<std::string> aliases;
  App app;
  std::string mount;
  std::optional<std::filesystem::path> python_home;
  std::vector<std::filesystem::path> python_path;
  std::vector<std::pair<std::string, std::string>> env;  // sorted by name
  std::vector<StaticMount> statics;                      // sorted by URL path
  std::optional<std::filesystem::path> error_log;
  // The app sees the client's Authorization header (HTTP_AUTHORIZATION), for apps that check
  // credentials themselves (Radicale, APIs with tokens).
  bool pass_authorization = false;
  // Answers requests whose Host names no site, instead of the 421 they get otherwise.
  bool is_default = false;
  BasicAuth basic_auth;
  PythonAuth python_auth;
  // gzip/brotli for text responses of the app and the static mounts (render/compression.hpp).
  bool compression = true;
  Daemon daemon;
  Sandbox sandbox;
};

struct Profile {
  std::filesystem::path file;  // absolute
  Server server;
  std::vector<Site> sites;
};

}  // namespace wsgid::profile
