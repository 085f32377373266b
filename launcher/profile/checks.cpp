#include "checks.hpp"

#include <regex>
#include <string>
#include <system_error>

#include "client_network.hpp"
#include "codes.hpp"
#include "htpasswd.hpp"
#include "listen_address.hpp"
#include "python_home.hpp"
#include "units.hpp"
#include "walker.hpp"

namespace wsgid::profile::checks {
namespace {

namespace fs = std::filesystem;

std::string text_of(const toml::node& value) { return value.value<std::string>().value_or(""); }

Problem problem(std::string_view code, const toml::node& value, std::string_view what) {
  return {code, describe_value(value) + " is not " + std::string(what)};
}

std::optional<Problem> matches(const toml::node& value, const std::regex& pattern,
                               std::string_view code, std::string_view accepted) {
  if (std::regex_match(text_of(value), pattern)) return std::nullopt;
  return problem(code, value, accepted);
}

fs::path resolve(const std::string& text, const CheckContext& context) {
  const fs::path path(text);
  return (path.is_absolute() ? path : context.profile_dir / path).lexically_normal();
}

// Resolves a path value in place; returns the absolute path and whether it exists with the
// right kind, so every path error names both what was written and what it resolved to.
enum class Want { kDirectory, kFile };

std::optional<Problem> existing(toml::node& value, const CheckContext& context, Want want) {
  const std::string written = text_of(value);
  const fs::path absolute = resolve(written, context);
  std::error_code error;
  const bool ok = want == Want::kDirectory ? fs::is_directory(absolute, error)
                                           : fs::is_regular_file(absolute, error);
  const std::string kind = want == Want::kDirectory ? "directory" : "file";
  if (!ok) {
    std::string message = "path " + describe_value(value);
    if (written != absolute.string()) message += " (resolved to \"" + absolute.string() + "\")";
    message += fs::exists(absolute, error) ? " is not a " + kind : " does not exist";
    message += "; expected an existing " + kind +
               " (relative paths are resolved against the profile's directory)";
    return Problem{code::kMissingPath, message};
  }
  *value.as_string() = absolute.string();
  return std::nullopt;
}

}  // namespace

std::optional<Problem> duration(toml::node& value, const CheckContext&) {
  if (parse_duration(text_of(value))) return std::nullopt;
  return problem(code::kBadDuration, value, kDurationAccepted);
}

std::optional<Problem> whole_seconds(toml::node& value, const CheckContext&) {
  const auto parsed = parse_duration(text_of(value));
  if (parsed && parsed->count() % 1000 == 0) return std::nullopt;
  return problem(code::kBadDuration, value,
                 "a duration in whole seconds, such as \"30s\", \"5m\" or \"1h\"");
}

std::optional<Problem> size(toml::node& value, const CheckContext&) {
  if (value.is_integer()) {
    if (value.as_integer()->get() >= 0) return std::nullopt;
    return problem(code::kBadSize, value, kSizeAccepted);
  }
  if (parse_size(text_of(value))) return std::nullopt;
  return problem(code::kBadSize, value, kSizeAccepted);
}

std::optional<Problem> listen(toml::node& value, const CheckContext&) {
  if (parse_listen(text_of(value))) return std::nullopt;
  return problem(code::kBadListen, value, kListenAccepted);
}

std::optional<Problem> site_name(toml::node& value, const CheckContext&) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
  return matches(value, kName, code::kBadName,
                 "a site name: 1 to 63 letters, digits, '_' or '-', starting with a letter or "
                 "digit, such as \"shop\"");
}

std::optional<Problem> account_name(toml::node& value, const CheckContext&) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_.-]{0,31}|#[0-9]{1,10}");
  return matches(value, kName, code::kBadName,
                 "a user or group name (letters, digits, '_', '.', '-'; at most 32) or "
                 "\"#NUMBER\", such as \"www-data\"");
}

std::optional<Problem> host_name(toml::node& value, const CheckContext&) {
  static const std::regex kHost(
      "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
      "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
  return matches(value, kHost, code::kBadHostName, "a host name such as \"shop.example.com\"");
}

std::optional<Problem> host_alias(toml::node& value, const CheckContext& context) {
  std::string text = text_of(value);
  if (text.starts_with("*.")) {
    toml::value<std::string> rest{text.substr(2)};
    if (!host_name(rest, context)) return std::nullopt;
  } else if (!host_name(value, context)) {
    return std::nullopt;
  }
  return problem(code::kBadHostName, value,
                 "a host name such as \"www.example.com\" or a wildcard such as "
                 "\"*.example.com\"");
}

std::optional<Problem> url_path(toml::node& value, const CheckContext&) {
  // Unreserved and sub-delimiter characters only: no spaces, braces, '?', '#', or "..",
  // so a mount point means the same to httpd, to the app and to the reader.
  static const std::regex kPath("/|(/[A-Za-z0-9._~!&'()*+,;=:@%-]+)+");
  static const std::regex kDotSegment("(^|.*/)\\.\\.?(/.*|$)");
  const std::string text = text_of(value);
  if (std::regex_match(text, kPath) && !std::regex_match(text, kDotSegment)) {
    return std::nullopt;
  }
  return problem(code::kBadUrlPath, value,
                 "a URL path starting with '/' without a trailing '/', spaces, '?', '#' or "
                 "'.'/'..' segments, such as \"/\" or \"/static\"");
}

std::optional<Problem> env_name(toml::node& value, const CheckContext&) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
  return matches(value, kName, code::kBadEnvName,
                 "an environment variable name (letters, digits and '_', not starting with a "
                 "digit), such as \"DJANGO_SETTINGS_MODULE\"");
}

std::optional<Problem> display_name(toml::node& value, const CheckContext&) {
  // '%' is reserved for the module's %{GROUP} substitution, so it is only accepted as that.
  static const std::regex kName("%\\{GROUP\\}|[A-Za-z0-9 ._:()/-]{1,64}");
  return matches(value, kName, code::kBadDisplayName,
                 "a process name: \"%{GROUP}\" or 1 to 64 letters, digits, spaces and "
                 "._:()/-, such as \"shop-wsgi\"");
}

std::optional<Problem> endpoint_path(toml::node& value, const CheckContext& context) {
  // "/" would hand the whole URL space of every site to the endpoint.
  const std::string text = text_of(value);
  if (text == "off" || (text != "/" && !url_path(value, context))) return std::nullopt;
  return problem(code::kBadUrlPath, value,
                 "\"off\" or a URL path other than \"/\", starting with '/' without a trailing "
                 "'/', spaces, '?', '#' or '.'/'..' segments, such as \"/-/healthz\"");
}

std::optional<Problem> client_network(toml::node& value, const CheckContext&) {
  if (text_of(value) == kEveryClient) return std::nullopt;
  const auto parsed = parse_client_network(text_of(value));
  if (parsed.network) return std::nullopt;
  if (parsed.everyone) {
    return Problem{code::kBadClientNetwork,
                   describe_value(value) +
                       " has prefix length 0, which httpd does not accept; write \"all\" to "
                       "allow every client"};
  }
  if (!parsed.canonical.empty()) {
    return Problem{code::kBadClientNetwork,
                   describe_value(value) + " has address bits set beyond its prefix length; " +
                       "write the network itself: \"" + parsed.canonical + "\""};
  }
  return problem(code::kBadClientNetwork, value, kClientNetworkAccepted);
}

std::optional<Problem> app(toml::node& value, const CheckContext& context) {
  if (is_module_app(text_of(value))) return std::nullopt;
  const std::string text = text_of(value);
  if (text.find(':') != std::string::npos && text.find('/') == std::string::npos) {
    return problem(code::kBadApp, value,
                   "a WSGI script path or \"package.module:callable\" with Python "
                   "identifiers, such as \"myapp.wsgi:application\"");
  }
  return existing(value, context, Want::kFile);
}

std::optional<Problem> existing_directory(toml::node& value, const CheckContext& context) {
  return existing(value, context, Want::kDirectory);
}

std::optional<Problem> python_path_entry(toml::node& value, const CheckContext& context) {
  if (text_of(value).find(':') != std::string::npos) {
    return Problem{code::kBadPathCharacter,
                   "path " + describe_value(value) +
                       " contains ':', which separates python-path entries; rename or "
                       "symlink the directory"};
  }
  return existing(value, context, Want::kDirectory);
}

std::optional<Problem> sandbox_path(toml::node& value, const CheckContext&) {
  const std::string text = text_of(value);
  if (!fs::path(text).is_absolute()) {
    return Problem{code::kRelativeSandboxPath,
                   "path " + describe_value(value) +
                       " is not absolute; the sandbox lists name directories or files as the "
                       "daemon sees them, such as \"/srv/shop/media\""};
  }
  if (text.find(':') != std::string::npos) {
    return Problem{code::kBadPathCharacter,
                   "path " + describe_value(value) +
                       " contains ':', which separates sandbox-read/sandbox-write entries; "
                       "rename or symlink it"};
  }
  std::error_code error;
  if (!fs::exists(text, error)) {
    return Problem{code::kMissingPath,
                   "path " + describe_value(value) +
                       " does not exist; expected an existing directory or file (create it "
                       "first: the daemon can only be granted what exists when it starts)"};
  }
  *value.as_string() = fs::path(text).lexically_normal().string();
  return std::nullopt;
}

std::optional<Problem> python_home(toml::node& value, const CheckContext& context) {
  if (auto missing = existing(value, context, Want::kDirectory)) return missing;
  const fs::path home = text_of(value);
  const auto version = python_home_version(home);
  const std::string wanted = embedded_python_version();
  if (version == wanted) return std::nullopt;
  std::string message = "python home \"" + home.string() + "\" ";
  message += version ? "is for Python " + *version
                     : "has neither pyvenv.cfg nor lib/pythonX.Y, so it is not a python home";
  message += "; wsgid embeds Python " + wanted + ": create the virtualenv with python" + wanted +
             " (e.g. /usr/bin/python3 -m venv)";
  return Problem{code::kPythonVersion, message};
}

std::optional<Problem> log_target(toml::node& value, const CheckContext& context) {
  const std::string text = text_of(value);
  if (text == "stdout" || text == "stderr") return std::nullopt;
  if (auto missing = existing(value, context, Want::kDirectory)) {
    missing->message += ", or \"stdout\" or \"stderr\"";
    return missing;
  }
  return std::nullopt;
}

std::optional<Problem> log_file(toml::node& value, const CheckContext& context) {
  const fs::path absolute = resolve(text_of(value), context);
  std::error_code error;
  if (!fs::is_directory(absolute.parent_path(), error) || fs::is_directory(absolute, error)) {
    return Problem{code::kMissingPath,
                   "log file " + describe_value(value) + " (resolved to \"" + absolute.string() +
                       "\") is not a file in an existing directory; create the directory or "
                       "choose another path"};
  }
  *value.as_string() = absolute.string();
  return std::nullopt;
}

bool is_module_app(std::string_view app) {
  static const std::regex kModule(
      "[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(app.begin(), app.end(), kModule);
}

std::optional<Problem> htpasswd_file(toml::node& value, const CheckContext& context) {
  if (auto missing = existing(value, context, Want::kFile)) return missing;
  if (const auto wrong = htpasswd_file_problem(text_of(value))) {
    return Problem{code::kBadHtpasswd, "htpasswd file " + describe_value(value) + " " + *wrong};
  }
  return std::nullopt;
}

// AuthName is shown by browsers and may be read as an httpd expression: plain text only.
std::optional<Problem> realm(toml::node& value, const CheckContext&) {
  static const std::regex kRealm("[A-Za-z0-9 ._,:()/'-]{1,64}");
  return matches(value, kRealm, code::kBadRealm,
                 "1 to 64 letters, digits, spaces or . _ , : ( ) / ' -, such as \"Shop admin\"");
}

}  // namespace wsgid::profile::checks
