#include "checks.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <system_error>

#include "client_network.hpp"
#include "codes.hpp"
#include "display_text.hpp"
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

// Hand-written matchers, not std::regex: libstdc++'s regex recurses per character and
// overflows the stack on long input (a 100 KB mount point was a segfault).
bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

template <typename Predicate>
bool all_chars(std::string_view text, Predicate predicate) {
  return std::all_of(text.begin(), text.end(), predicate);
}

// [A-Za-z_][A-Za-z0-9_]*
bool is_identifier(std::string_view text) {
  return !text.empty() && (is_alpha(text[0]) || text[0] == '_') &&
         all_chars(text, [](char c) { return is_alnum(c) || c == '_'; });
}

// A label of a host name: 1 to 63 letters, digits or '-', not starting or ending with '-'.
bool is_host_label(std::string_view label) {
  return !label.empty() && label.size() <= 63 && is_alnum(label.front()) &&
         is_alnum(label.back()) && all_chars(label, [](char c) { return is_alnum(c) || c == '-'; });
}

// Splits on `separator` and asks `part` about each piece (empty pieces included).
template <typename Part>
bool all_parts(std::string_view text, char separator, Part part) {
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(separator, start);
    if (!part(text.substr(start, end - start))) return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

// '*', '?' and '[' make httpd treat a <Location>, <Directory> or <Files> argument as a
// wildcard pattern rather than the literal path the author wrote.
bool has_glob_character(std::string_view text) {
  return text.find_first_of("*?[") != std::string_view::npos;
}

std::optional<Problem> glob_problem(const toml::node& value, std::string_view section,
                                    std::string_view fix) {
  return Problem{code::kGlobCharacter,
                 describe_value(value) + " contains '*', '?' or '[', which httpd reads as a " +
                     "wildcard in <" + std::string(section) + ">, so it would match other " +
                     "paths too; " + std::string(fix)};
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

enum class Account { kUser, kGroup };

// httpd and mod_wsgid resolve names when they read the config: a name this machine does not
// know fails `apache2 -t`, and root is never what a worker or daemon should run as.
std::optional<Problem> existing_account(const toml::node& value, const CheckContext& context,
                                        Account account) {
  toml::value<std::string> copy{text_of(value)};
  if (auto bad = account_name(copy, context)) return bad;
  const std::string text = text_of(value);
  const std::string_view kind = account == Account::kUser ? "user" : "group";
  bool root = text.starts_with('#') && text.find_first_not_of("#0") == std::string::npos;
  if (!text.starts_with('#')) {
    std::vector<char> buffer(16384);
    bool found = false;
    if (account == Account::kUser) {
      passwd entry{};
      passwd* result = nullptr;
      found = ::getpwnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &result) == 0 &&
              result != nullptr;
      root = found && entry.pw_uid == 0;
    } else {
      group entry{};
      group* result = nullptr;
      found = ::getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &result) == 0 &&
              result != nullptr;
      root = found && entry.gr_gid == 0;
    }
    if (!found) {
      return Problem{code::kUnknownAccount,
                     std::string(kind) + " " + describe_value(value) +
                         " does not exist on this machine, so httpd would refuse the config; " +
                         "create it (" +
                         (account == Account::kUser ? "useradd --system " : "groupadd --system ") +
                         text + ") or name an existing one such as \"www-data\""};
    }
  }
  if (root) {
    return Problem{code::kRootAccount,
                   std::string(kind) + " " + describe_value(value) +
                       " is root; httpd's workers and the app's daemons must run unprivileged: "
                       "name an unprivileged " +
                       std::string(kind) + " such as \"www-data\""};
  }
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

// mod_wsgid refuses memory-limit below 1 MiB (a fresh interpreter alone would exceed it, so
// every daemon would recycle at once) and cpu-time-limit above a year: the profile refuses them
// first, with the key's position, instead of leaving `apache2 -t` to fail. A year is also the
// useful bound of Cache-Control's max-age.
std::optional<Problem> memory_limit(toml::node& value, const CheckContext& context) {
  if (auto bad = size(value, context)) return bad;
  const std::uint64_t bytes = value.is_integer()
                                  ? static_cast<std::uint64_t>(value.as_integer()->get())
                                  : parse_size(text_of(value)).value_or(0);
  if (bytes == 0 || bytes >= (1U << 20)) return std::nullopt;
  return problem(code::kOutOfRange, value, "0 (no limit) or a size of at least \"1MiB\"");
}

std::optional<Problem> up_to_a_year(toml::node& value, const CheckContext&) {
  const auto parsed = parse_duration(text_of(value));
  const bool whole = parsed && parsed->count() % 1000 == 0;
  if (whole && *parsed <= std::chrono::hours(24 * 365)) return std::nullopt;
  return problem(whole ? code::kOutOfRange : code::kBadDuration, value,
                 "a duration in whole seconds of at most a year, such as \"1h\" or \"1y\"");
}

std::optional<Problem> listen(toml::node& value, const CheckContext&) {
  if (parse_listen(text_of(value))) return std::nullopt;
  return problem(code::kBadListen, value, kListenAccepted);
}

std::optional<Problem> site_name(toml::node& value, const CheckContext&) {
  const std::string text = text_of(value);
  if (!text.empty() && text.size() <= 63 && is_alnum(text[0]) &&
      all_chars(text, [](char c) { return is_alnum(c) || c == '_' || c == '-'; })) {
    return std::nullopt;
  }
  return problem(code::kBadName, value,
                 "a site name: 1 to 63 letters, digits, '_' or '-', starting with a letter or "
                 "digit, such as \"shop\"");
}

std::optional<Problem> account_name(toml::node& value, const CheckContext&) {
  const std::string text = text_of(value);
  const std::string_view number = std::string_view(text).substr(text.empty() ? 0 : 1);
  const bool numeric = text.starts_with('#') && !number.empty() && number.size() <= 10 &&
                       all_chars(number, is_digit);
  const bool named =
      !text.empty() && text.size() <= 32 && (is_alpha(text[0]) || text[0] == '_') &&
      all_chars(text, [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
  if (numeric || named) return std::nullopt;
  return problem(code::kBadName, value,
                 "a user or group name (letters, digits, '_', '.', '-'; at most 32) or "
                 "\"#NUMBER\", such as \"www-data\"");
}

std::optional<Problem> user_account(toml::node& value, const CheckContext& context) {
  return existing_account(value, context, Account::kUser);
}

std::optional<Problem> group_account(toml::node& value, const CheckContext& context) {
  return existing_account(value, context, Account::kGroup);
}

std::optional<Problem> host_name(toml::node& value, const CheckContext&) {
  const std::string text = text_of(value);
  if (!text.empty() && text.size() <= 253 && all_parts(text, '.', is_host_label)) {
    return std::nullopt;
  }
  return problem(code::kBadHostName, value, "a host name such as \"shop.example.com\"");
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
  const std::string text = text_of(value);
  if (text.find('*') != std::string::npos) {
    return glob_problem(value, "Location",
                        "write the path without '*' (URL paths here are literal prefixes)");
  }
  const auto segment = [](std::string_view part) {
    return !part.empty() && part != "." && part != ".." && all_chars(part, [](char c) {
      return is_alnum(c) || std::string_view("._~!&'()+,;=:@%-").find(c) != std::string_view::npos;
    });
  };
  if (text == "/" || (text.starts_with('/') && all_parts(text.substr(1), '/', segment))) {
    return std::nullopt;
  }
  return problem(code::kBadUrlPath, value,
                 "a URL path starting with '/' without a trailing '/', spaces, '?', '#' or "
                 "'.'/'..' segments, such as \"/\" or \"/static\"");
}

std::optional<Problem> env_name(toml::node& value, const CheckContext&) {
  if (is_identifier(text_of(value))) return std::nullopt;
  return problem(code::kBadEnvName, value,
                 "an environment variable name (letters, digits and '_', not starting with a "
                 "digit), such as \"DJANGO_SETTINGS_MODULE\"");
}

std::optional<Problem> display_name(toml::node& value, const CheckContext&) {
  // '%' is reserved for the module's %{GROUP} substitution, so it is only accepted as that.
  const std::string text = text_of(value);
  if (text == "%{GROUP}" || (!text.empty() && text.size() <= 64 && all_chars(text, [](char c) {
        return is_alnum(c) || std::string_view(" ._:()/-").find(c) != std::string_view::npos;
      }))) {
    return std::nullopt;
  }
  return problem(code::kBadDisplayName, value,
                 "a process name: \"%{GROUP}\" or 1 to 64 letters, digits, spaces and "
                 "._:()/-, such as \"shop-wsgi\"");
}

std::optional<Problem> endpoint_path(toml::node& value, const CheckContext& context) {
  // "/" would hand the whole URL space of every site to the endpoint.
  const std::string text = text_of(value);
  if (text == "off") return std::nullopt;
  auto path_problem = url_path(value, context);
  if (text != "/" && !path_problem) return std::nullopt;
  if (path_problem && path_problem->code == code::kGlobCharacter) return path_problem;
  return problem(code::kBadUrlPath, value,
                 "\"off\" or a URL path other than \"/\", starting with '/' without a trailing "
                 "'/', spaces, '?', '#' or '.'/'..' segments, such as \"/-/healthz\"");
}

namespace {

// What parse_client_network refuses, said the same way for health.allow and trusted_proxies.
// A prefix of 0 (every address) is reported with `everyone_code` and `everyone_fix`.
std::optional<Problem> network_problem(toml::node& value, std::string_view code,
                                       std::string_view everyone_code,
                                       std::string_view everyone_fix, std::string_view accepted) {
  const auto parsed = parse_client_network(text_of(value));
  if (parsed.network) return std::nullopt;
  if (parsed.ipv4_mapped) {
    return Problem{code, describe_value(value) +
                             " is an IPv4-mapped IPv6 address, which httpd's Require ip refuses; " +
                             (parsed.ipv4_form.empty()
                                  ? std::string("write the IPv4 address or network instead")
                                  : "write the IPv4 form: \"" + parsed.ipv4_form + "\"")};
  }
  if (parsed.everyone) {
    return Problem{everyone_code, describe_value(value) +
                                      " has prefix length 0, which httpd does not accept; " +
                                      std::string(everyone_fix)};
  }
  if (!parsed.canonical.empty()) {
    return Problem{code, describe_value(value) +
                             " has address bits set beyond its prefix length; " +
                             "write the network itself: \"" + parsed.canonical + "\""};
  }
  return problem(code, value, accepted);
}

constexpr std::string_view kTrustEveryoneFix =
    "trusting every address would let any client set its own address and scheme: list the "
    "networks your proxies or load balancers connect from, such as \"10.0.0.0/8\"";

}  // namespace

std::optional<Problem> client_network(toml::node& value, const CheckContext&) {
  if (text_of(value) == kEveryClient) return std::nullopt;
  return network_problem(value, code::kBadClientNetwork, code::kBadClientNetwork,
                         "write \"all\" to allow every client", kClientNetworkAccepted);
}

std::optional<Problem> trusted_proxy(toml::node& value, const CheckContext&) {
  if (text_of(value) == kEveryClient) {
    return Problem{code::kTrustEveryone,
                   describe_value(value) +
                       " is not accepted in trusted_proxies: " + std::string(kTrustEveryoneFix)};
  }
  return network_problem(value, code::kBadClientNetwork, code::kTrustEveryone, kTrustEveryoneFix,
                         "an IPv4 or IPv6 address or a network in CIDR form, such as "
                         "\"10.0.0.0/8\", \"192.0.2.7\" or \"fd00::/8\"");
}

std::optional<Problem> app(toml::node& value, const CheckContext& context) {
  if (is_module_app(text_of(value))) return std::nullopt;
  const std::string text = text_of(value);
  if (text.find(':') != std::string::npos && text.find('/') == std::string::npos) {
    return problem(code::kBadApp, value,
                   "a WSGI script path or \"package.module:callable\" with Python "
                   "identifiers, such as \"myapp.wsgi:application\"");
  }
  if (auto missing = existing(value, context, Want::kFile)) return missing;
  if (has_glob_character(text_of(value))) {
    return glob_problem(value, "Directory> and <Files",
                        "rename the script or its directory, or point app at a symlink without "
                        "them");
  }
  return std::nullopt;
}

std::optional<Problem> static_directory(toml::node& value, const CheckContext& context) {
  if (auto missing = existing(value, context, Want::kDirectory)) return missing;
  if (has_glob_character(text_of(value))) {
    return glob_problem(value, "Directory",
                        "rename the directory or point at a symlink without them");
  }
  return std::nullopt;
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
  message += "; this wsgid embeds Python " + wanted + ": create the virtualenv with that Python (" +
             embedded_python_executable() + " -m venv DIR)";
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
  const auto colon = app.find(':');
  return colon != std::string_view::npos && all_parts(app.substr(0, colon), '.', is_identifier) &&
         is_identifier(app.substr(colon + 1));
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
  const std::string text = text_of(value);
  if (!text.empty() && text.size() <= 64 && all_chars(text, [](char c) {
        return is_alnum(c) || std::string_view(" ._,:()/'-").find(c) != std::string_view::npos;
      })) {
    return std::nullopt;
  }
  return problem(code::kBadRealm, value,
                 "1 to 64 letters, digits, spaces or . _ , : ( ) / ' -, such as \"Shop admin\"");
}

// Imported from the site's own Python path by a generated script (render/python_auth.hpp), so
// only identifiers: nothing else can reach the generated file.
std::optional<Problem> python_hook(toml::node& value, const CheckContext&) {
  if (is_module_app(text_of(value))) return std::nullopt;
  return problem(code::kBadPythonHook, value,
                 "a Python function named as \"package.module:function\" (Python identifiers), "
                 "such as \"shop.auth:check_password\"");
}

// `Require wsgi-group` splits its arguments at spaces, and httpd reads quotes and backslashes.
std::optional<Problem> group_name(toml::node& value, const CheckContext&) {
  const std::string text = text_of(value);
  if (!text.empty() && text.size() <= 64 && all_chars(text, [](char c) {
        return is_alnum(c) || std::string_view("._:@-").find(c) != std::string_view::npos;
      })) {
    return std::nullopt;
  }
  return problem(code::kBadGroupName, value,
                 "a group name of 1 to 64 letters, digits or . _ : @ -, such as \"staff\"");
}

}  // namespace wsgid::profile::checks
