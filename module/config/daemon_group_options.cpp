#include "daemon_group_options.hpp"

#include <httpd.h>
#include <http_config.h>
#include <apr_strings.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "directive_parsing.hpp"

namespace wsgid {
namespace {

using daemon_option::Kind;
using daemon_option::Spec;

OptionProblem problem(apr_pool_t* p, const char* code, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

OptionProblem problem(apr_pool_t* p, const char* code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char* message = apr_pvsprintf(p, fmt, ap);
  va_end(ap);
  return {code, message};
}

OptionProblem not_valid(apr_pool_t* p, const Spec& spec, const char* value) {
  if (!spec.accepted.empty()) {
    return problem(p, "WSGID0002", "option %s=%s is not valid: expected %.*s", spec.name.data(),
                   value, static_cast<int>(spec.accepted.size()), spec.accepted.data());
  }
  return problem(p, "WSGID0002",
                 "option %s=%s is not valid: expected a whole number from %ld to %ld",
                 spec.name.data(), value, static_cast<long>(spec.min), static_cast<long>(spec.max));
}

// A number or a choice's index into whichever arithmetic member the row names; the table's
// static_assert (daemon_options.hpp) keeps kinds and member types together.
void store(DaemonGroup& g, const daemon_option::Member& member, long long v) {
  std::visit(
      [&](auto m) {
        if constexpr (!std::is_same_v<decltype(m), std::monostate>) {
          using Field = std::remove_reference_t<decltype(g.*m)>;
          if constexpr (std::is_arithmetic_v<Field> || std::is_enum_v<Field>) {
            g.*m = static_cast<Field>(v);
          }
        }
      },
      member);
}

// Entries joined by ':' appended to a list; with `absolute`, each must be an absolute path (as
// sandbox-read= and sandbox-write= need). Whether each exists is the daemon's concern (it may be
// inside chroot=, or created by the time it starts).
OptionProblem append_paths(apr_pool_t* p, const Spec& spec, const char* value,
                           apr_array_header_t* into, bool absolute) {
  apr_array_header_t* parts = split_colon_list(p, value);
  for (int i = 0; absolute && i < parts->nelts; ++i) {
    const char* part = reinterpret_cast<const char**>(parts->elts)[i];
    bool control = false;
    for (const char* c = part; *c; ++c) control = control || static_cast<unsigned char>(*c) < 0x20;
    if (part[0] != '/' || control) {
      const char* name = spec.name.data();
      return problem(p, "WSGID0002",
                     "option %s=%s is not valid: '%s' is not an absolute path; expected absolute "
                     "directory or file paths joined by ':', such as %s=/srv/shop/media:/etc/shop",
                     name, value, part, name);
    }
  }
  apr_array_cat(into, parts);
  return {};
}

OptionProblem set_chroot(apr_pool_t* p, DaemonGroup& g, const char* value) {
  struct stat st {};
  if (value[0] != '/' || ::stat(value, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return problem(p, "WSGID0020",
                   "option chroot=%s is not valid: expected the absolute path of an existing "
                   "directory (holding the Python installation, the scripts and whatever the "
                   "application opens; see directives.md)",
                   value);
  }
  char* dir = apr_pstrdup(p, value);
  for (std::size_t len = std::strlen(dir); len > 1 && dir[len - 1] == '/'; --len) {
    dir[len - 1] = '\0';
  }
  g.chroot = dir;
  return {};
}

// "#123": the number, or a problem. A number needs no passwd or group entry: the launcher gives
// each site such a uid of its own (like systemd's DynamicUser), and a name is only a label for
// the kernel's number.
OptionProblem parse_id(apr_pool_t* p, const char* name, const char* digits, long& out) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(digits, &end, 10);
  if (*digits == '\0' || *end != '\0' || errno == ERANGE || v < 0 || v > INT_MAX) {
    return problem(p, "WSGID0002",
                   "option %s=%s is not valid: expected a whole number from 0 to %d", name, digits,
                   INT_MAX);
  }
  out = v;
  return {};
}

OptionProblem set_user(apr_pool_t* p, DaemonGroup& g, const char* value) {
  const passwd* pw = nullptr;
  long uid = -1;
  if (value[0] == '#') {
    if (OptionProblem bad = parse_id(p, "user", value + 1, uid)) return bad;
    pw = getpwuid(static_cast<uid_t>(uid));
  } else {
    pw = getpwnam(value);
  }
  if (!pw && uid < 0) {
    return problem(p, "WSGID0003",
                   "option user=%s names no user on this system: give an existing user name or "
                   "#uid",
                   value);
  }
  if ((pw ? pw->pw_uid : static_cast<uid_t>(uid)) == 0) {
    return problem(p, "WSGID0004",
                   "option user=%s is refused: daemon processes never run as root; name an "
                   "unprivileged user",
                   value);
  }
  g.user = apr_pstrdup(p, pw ? pw->pw_name : value);
  g.uid = pw ? pw->pw_uid : static_cast<uid_t>(uid);
  // Without a passwd entry there is no primary group: the uid's number doubles as the gid.
  if (!g.group) g.gid = pw ? pw->pw_gid : static_cast<gid_t>(uid);
  return {};
}

OptionProblem set_group(apr_pool_t* p, DaemonGroup& g, const char* value) {
  const group* gr = nullptr;
  long gid = -1;
  if (value[0] == '#') {
    if (OptionProblem bad = parse_id(p, "group", value + 1, gid)) return bad;
    gr = getgrgid(static_cast<gid_t>(gid));
  } else {
    gr = getgrnam(value);
  }
  if (!gr && gid < 0) {
    return problem(p, "WSGID0003",
                   "option group=%s names no group on this system: give an existing group name or "
                   "#gid",
                   value);
  }
  g.group = apr_pstrdup(p, gr ? gr->gr_name : value);
  g.gid = gr ? gr->gr_gid : static_cast<gid_t>(gid);
  return {};
}

}  // namespace

OptionProblem apply_daemon_option(apr_pool_t* p, DaemonGroup& g, const char* name,
                                  const char* value) {
  const Spec* spec = daemon_option::find(name);
  if (!spec) {
    return {"WSGID0001", unknown_option_message(p, name, daemon_option::names())};
  }
  if (spec->given) g.*(spec->given) = true;
  const auto* text = std::get_if<const char * DaemonOptions::*>(&spec->member);
  const auto* list = std::get_if<apr_array_header_t * DaemonOptions::*>(&spec->member);
  switch (spec->kind) {
    case Kind::kNumber:
    case Kind::kZeroOrNumber:
    case Kind::kOctal: {
      const auto v = daemon_option::parse_number(*spec, value);
      if (!v) return not_valid(p, *spec, value);
      store(g, spec->member, *v);
      return {};
    }
    case Kind::kChoice:
      for (std::size_t i = 0; i < spec->choices.size(); ++i) {
        if (spec->choices[i] == value) {
          store(g, spec->member, static_cast<long long>(i));
          return {};
        }
      }
      return not_valid(p, *spec, value);
    case Kind::kText:
      g.*(*text) = value;
      return {};
    case Kind::kServerPath:
      g.*(*text) = ap_server_root_relative(p, value);
      return {};
    case Kind::kSearchPath:
      return append_paths(p, *spec, value, g.*(*list), false);
    case Kind::kAbsolutePaths:
      return append_paths(p, *spec, value, g.*(*list), true);
    case Kind::kDirectory:
      return set_chroot(p, g, value);
    case Kind::kUser:
      return set_user(p, g, value);
    case Kind::kGroup:
      return set_group(p, g, value);
    case Kind::kDisplayName:
      g.display_name =
          std::strcmp(value, "%{GROUP}") == 0 ? apr_psprintf(p, "(wsgi:%s)", g.name) : value;
      return {};
  }
  return {};
}

}  // namespace wsgid
