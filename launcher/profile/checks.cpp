// Checks of a value's form: numbers, durations and sizes, names, URL paths, networks, realms and
// hook names. What consults the machine (files, accounts, the python home) is in
// machine_checks.cpp.
#include "checks.hpp"

#include <algorithm>
#include <string>

#include "check_support.hpp"
#include "client_network.hpp"
#include "codes.hpp"
#include "display_text.hpp"
#include "listen_address.hpp"
#include "units.hpp"
#include "walker.hpp"

namespace wsgid::profile::checks {

using namespace support;

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
// every daemon would recycle at once), its timeouts above a day and cpu-time-limit above a year
// (contract/daemon_options.hpp): the profile refuses them first, with the key's position, instead
// of leaving `apache2 -t` to fail. A year is also the useful bound of Cache-Control's max-age.
std::optional<Problem> memory_limit(toml::node& value, const CheckContext& context) {
  if (auto bad = size(value, context)) return bad;
  const std::uint64_t bytes = value.is_integer()
                                  ? static_cast<std::uint64_t>(value.as_integer()->get())
                                  : parse_size(text_of(value)).value_or(0);
  if (bytes == 0 || bytes >= (1U << 20)) return std::nullopt;
  return problem(code::kOutOfRange, value, "0 (no limit) or a size of at least \"1MiB\"");
}

std::optional<Problem> up_to_a_day(toml::node& value, const CheckContext& context) {
  if (auto bad = whole_seconds(value, context)) return bad;
  if (*parse_duration(text_of(value)) <= std::chrono::hours(24)) return std::nullopt;
  return problem(code::kOutOfRange, value,
                 "a duration in whole seconds of at most a day, such as \"30s\" or \"1h\"");
}

std::optional<Problem> up_to_a_year(toml::node& value, const CheckContext&) {
  const auto parsed = parse_duration(text_of(value));
  const bool whole = parsed && parsed->count() % 1000 == 0;
  if (whole && *parsed <= std::chrono::hours(24 * 365)) return std::nullopt;
  return problem(whole ? code::kOutOfRange : code::kBadDuration, value,
                 "a duration in whole seconds of at most a year, such as \"1h\" or \"1y\"");
}

std::optional<Problem> hsts(toml::node& value, const CheckContext& context) {
  if (text_of(value) == "off") return std::nullopt;
  if (auto bad = up_to_a_year(value, context)) {
    bad->message += ", or \"off\"";
    return bad;
  }
  return std::nullopt;
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

bool is_module_app(std::string_view app) {
  const auto colon = app.find(':');
  return colon != std::string_view::npos && all_parts(app.substr(0, colon), '.', is_identifier) &&
         is_identifier(app.substr(colon + 1));
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
