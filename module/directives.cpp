#include "directives.hpp"

#include <http_core.h>
#include <apr_strings.h>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

#include "config.hpp"
#include "daemon_settings.hpp"
#include "suggest.hpp"

namespace wsgid {
namespace {

// Every message a user can cause here carries a stable code (docs/errors.md) and names the
// directive, the option, the bad value and what is accepted. httpd prefixes the file and line.
const char* fail(cmd_parms* cmd, const char* code, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char* fail(cmd_parms* cmd, const char* code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char* msg = apr_pvsprintf(cmd->pool, fmt, ap);
  va_end(ap);
  return apr_psprintf(cmd->pool, "%s %s: %s", code, cmd->cmd->name, msg);
}

constexpr const char* kAliasOptions =
    "process-group, application-group, callable-object, pass-authorization";

const char* unknown_option(cmd_parms* cmd, const char* name, const char* valid) {
  const std::string_view near = nearest_option(name, valid);
  if (!near.empty()) {
    return fail(cmd, "WSGID0001",
                "option '%s' is not known (did you mean '%.*s'?); valid options are: %s", name,
                static_cast<int>(near.size()), near.data(), valid);
  }
  return fail(cmd, "WSGID0001", "option '%s' is not known; valid options are: %s", name, valid);
}

const char* parse_long(cmd_parms* cmd, const char* option, const char* value, long min, long max,
                       long& out) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max) {
    return fail(cmd, "WSGID0002",
                "option %s=%s is not valid: expected a whole number from %ld to %ld", option, value,
                min, max);
  }
  out = v;
  return nullptr;
}

const char* parse_int(cmd_parms* cmd, const char* option, const char* value, int min, int max,
                      int& out) {
  long v = 0;
  if (const char* err = parse_long(cmd, option, value, min, max, v)) return err;
  out = static_cast<int>(v);
  return nullptr;
}

const char* parse_on_off(cmd_parms* cmd, const char* option, const char* value, int& out) {
  if (!strcasecmp(value, "On")) {
    out = 1;
  } else if (!strcasecmp(value, "Off")) {
    out = 0;
  } else {
    return fail(cmd, "WSGID0002", "option %s=%s is not valid: expected On or Off", option, value);
  }
  return nullptr;
}

// Splits "name=value"; the value may have been quoted (ap_getword_conf removed the quotes).
bool split_option(apr_pool_t* p, const char* word, const char*& name, const char*& value) {
  const char* eq = std::strchr(word, '=');
  if (!eq || eq == word) return false;
  name = apr_pstrndup(p, word, eq - word);
  value = eq + 1;
  return true;
}

bool is_literal_group(const char* g) { return g && (std::strstr(g, "%{") == nullptr); }

// %{GLOBAL} names the main interpreter, which the Python side calls "".
const char* literal_application_group(const char* g) {
  if (!g) return nullptr;
  if (std::strcmp(g, "%{GLOBAL}") == 0) return "";
  return is_literal_group(g) ? g : nullptr;
}

const char* where(cmd_parms* cmd) {
  return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
}

constexpr const char* kDaemonOptions =
    "processes, threads, user, group, home, display-name, python-home, python-path, lang, "
    "locale, maximum-requests, maximum-requests-jitter, graceful-timeout, shutdown-timeout, "
    "connect-timeout, "
    "socket-timeout, request-timeout, queue-timeout, inactivity-timeout, listen-backlog, umask, "
    "seccomp-filter, seccomp-notify, env-file, cpu-time-limit, cpu-priority, chroot, memory-limit, "
    "restart-interval, startup-timeout, deadlock-timeout, stack-size, sandbox-filesystem, "
    "sandbox-read, sandbox-write, sandbox-scopes, settings-file";

// Below this a fresh interpreter alone would exceed the limit and every daemon would recycle
// as soon as it started.
constexpr long kMinMemoryLimit = 1024L * 1024;
// CPython needs far more than PTHREAD_STACK_MIN for even shallow recursion.
constexpr long kMinStackSize = 64L * 1024;
constexpr long kMaxStackSize = 1024L * 1024 * 1024;

const char* set_chroot(cmd_parms* cmd, DaemonGroup& g, const char* value) {
  struct stat st {};
  if (value[0] != '/' || ::stat(value, &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(cmd, "WSGID0020",
                "option chroot=%s is not valid: expected the absolute path of an existing "
                "directory (holding the Python installation, the scripts and whatever the "
                "application opens; see directives.md)",
                value);
  }
  char* dir = apr_pstrdup(cmd->pool, value);
  for (std::size_t len = std::strlen(dir); len > 1 && dir[len - 1] == '/'; --len) {
    dir[len - 1] = '\0';
  }
  g.chroot = dir;
  return nullptr;
}

// sandbox-read= and sandbox-write=: absolute paths joined by ':', as python-path=. Whether each
// exists is the daemon's concern (it may be inside chroot=, or created by the time it starts).
const char* set_sandbox_paths(cmd_parms* cmd, const char* name, const char* value,
                              apr_array_header_t* into) {
  char* rest = apr_pstrdup(cmd->pool, value);
  char* state = nullptr;
  for (char* part = apr_strtok(rest, ":", &state); part; part = apr_strtok(nullptr, ":", &state)) {
    bool control = false;
    for (const char* c = part; *c; ++c) control = control || static_cast<unsigned char>(*c) < 0x20;
    if (part[0] != '/' || control) {
      return fail(cmd, "WSGID0002",
                  "option %s=%s is not valid: '%s' is not an absolute path; expected absolute "
                  "directory or file paths joined by ':', such as %s=/srv/shop/media:/etc/shop",
                  name, value, part, name);
    }
    *static_cast<const char**>(apr_array_push(into)) = part;
  }
  return nullptr;
}

const char* set_on_off(cmd_parms* cmd, const char* name, const char* value, bool& into) {
  if (std::strcmp(value, "on") != 0 && std::strcmp(value, "off") != 0) {
    return fail(cmd, "WSGID0002", "option %s=%s is not valid: expected on or off", name, value);
  }
  into = std::strcmp(value, "on") == 0;
  return nullptr;
}

const char* set_sandbox_option(cmd_parms* cmd, DaemonGroup& g, std::string_view n, const char* name,
                               const char* value) {
  if (n == "sandbox-read") return set_sandbox_paths(cmd, name, value, g.sandbox_read);
  if (n == "sandbox-write") return set_sandbox_paths(cmd, name, value, g.sandbox_write);
  if (n == "sandbox-scopes") return set_on_off(cmd, name, value, g.sandbox_scopes);
  if (std::strcmp(value, "on") == 0) {
    g.sandbox_filesystem = FilesystemScope::kOn;
  } else if (std::strcmp(value, "off") == 0) {
    g.sandbox_filesystem = FilesystemScope::kOff;
  } else if (std::strcmp(value, "log") == 0) {
    g.sandbox_filesystem = FilesystemScope::kLog;
  } else {
    return fail(cmd, "WSGID0002",
                "option sandbox-filesystem=%s is not valid: expected on (Landlock limits the "
                "files the daemon opens), off, or log (learning mode: log what would be refused)",
                value);
  }
  return nullptr;
}

}  // namespace

const char* set_daemon_option(cmd_parms* cmd, DaemonGroup& g, const char* name, const char* value) {
  const std::string_view n(name);
  if (n == "processes") {
    g.multiprocess_option = true;
    return parse_int(cmd, name, value, 1, 1024, g.processes);
  }
  if (n == "threads") return parse_int(cmd, name, value, 1, 1024, g.threads);
  if (n == "maximum-requests") return parse_long(cmd, name, value, 0, LONG_MAX, g.maximum_requests);
  if (n == "maximum-requests-jitter") {
    return parse_long(cmd, name, value, 0, 1'000'000'000, g.maximum_requests_jitter);
  }
  if (n == "graceful-timeout") return parse_int(cmd, name, value, 0, 86400, g.graceful_timeout);
  if (n == "shutdown-timeout") return parse_int(cmd, name, value, 0, 86400, g.shutdown_timeout);
  if (n == "connect-timeout") return parse_int(cmd, name, value, 0, 86400, g.connect_timeout);
  if (n == "socket-timeout") return parse_int(cmd, name, value, 0, 86400, g.socket_timeout);
  if (n == "request-timeout") return parse_int(cmd, name, value, 0, 86400, g.request_timeout);
  if (n == "queue-timeout") return parse_int(cmd, name, value, 0, 86400, g.queue_timeout);
  if (n == "inactivity-timeout") return parse_int(cmd, name, value, 0, 86400, g.inactivity_timeout);
  if (n == "listen-backlog") return parse_int(cmd, name, value, 1, 65535, g.listen_backlog);
  if (n == "umask") {
    char* end = nullptr;
    const long v = std::strtol(value, &end, 8);
    if (*value == '\0' || *end != '\0' || v < 0 || v > 0777) {
      return fail(cmd, "WSGID0002",
                  "option umask=%s is not valid: expected an octal mode from 0000 to 0777", value);
    }
    g.umask = static_cast<int>(v);
    return nullptr;
  }
  if (n == "user") {
    const passwd* pw = nullptr;
    long uid = -1;
    if (value[0] == '#') {
      if (const char* err = parse_long(cmd, name, value + 1, 0, INT_MAX, uid)) return err;
      pw = getpwuid(static_cast<uid_t>(uid));
    } else {
      pw = getpwnam(value);
    }
    // A numeric uid needs no passwd entry: the launcher gives each site such a uid of its own
    // (like systemd's DynamicUser), and a name is only a label for the kernel's number.
    if (!pw && uid < 0) {
      return fail(cmd, "WSGID0003",
                  "option user=%s names no user on this system: give an existing user name or "
                  "#uid",
                  value);
    }
    if ((pw ? pw->pw_uid : static_cast<uid_t>(uid)) == 0) {
      return fail(cmd, "WSGID0004",
                  "option user=%s is refused: daemon processes never run as root; name an "
                  "unprivileged user",
                  value);
    }
    g.user = apr_pstrdup(cmd->pool, pw ? pw->pw_name : value);
    g.uid = pw ? pw->pw_uid : static_cast<uid_t>(uid);
    // Without a passwd entry there is no primary group: the uid's number doubles as the gid.
    if (!g.group) g.gid = pw ? pw->pw_gid : static_cast<gid_t>(uid);
    return nullptr;
  }
  if (n == "group") {
    const group* gr = nullptr;
    long gid = -1;
    if (value[0] == '#') {
      if (const char* err = parse_long(cmd, name, value + 1, 0, INT_MAX, gid)) return err;
      gr = getgrgid(static_cast<gid_t>(gid));
    } else {
      gr = getgrnam(value);
    }
    if (!gr && gid < 0) {
      return fail(cmd, "WSGID0003",
                  "option group=%s names no group on this system: give an existing group name or "
                  "#gid",
                  value);
    }
    g.group = apr_pstrdup(cmd->pool, gr ? gr->gr_name : value);
    g.gid = gr ? gr->gr_gid : static_cast<gid_t>(gid);
    return nullptr;
  }
  if (n == "env-file") {
    g.env_file = ap_server_root_relative(cmd->pool, value);
    return nullptr;
  }
  if (n == "home") {
    g.home = value;
    return nullptr;
  }
  if (n == "display-name") {
    g.display_name =
        std::strcmp(value, "%{GROUP}") == 0 ? apr_psprintf(cmd->pool, "(wsgi:%s)", g.name) : value;
    return nullptr;
  }
  if (n == "python-home") {
    g.python_home = value;
    return nullptr;
  }
  if (n == "python-path") {
    char* rest = apr_pstrdup(cmd->pool, value);
    char* state = nullptr;
    for (char* part = apr_strtok(rest, ":", &state); part;
         part = apr_strtok(nullptr, ":", &state)) {
      *static_cast<const char**>(apr_array_push(g.python_path)) = part;
    }
    return nullptr;
  }
  if (n == "lang") {
    g.lang = value;
    return nullptr;
  }
  if (n == "locale") {
    g.locale = value;
    return nullptr;
  }
  if (n == "seccomp-notify") {
    if (std::strcmp(value, "kill") != 0 && std::strcmp(value, "log") != 0) {
      return fail(cmd, "WSGID0002",
                  "option seccomp-notify=%s is not valid: expected kill (log the denied call, "
                  "kill the process) or log (learning mode: log it and let it run)",
                  value);
    }
    g.seccomp_learning = std::strcmp(value, "log") == 0;
    return nullptr;
  }
  if (n == "seccomp-filter") {
    g.seccomp_filter = ap_server_root_relative(cmd->pool, value);
    return nullptr;
  }
  if (n == "cpu-time-limit") return parse_int(cmd, name, value, 0, 86400 * 365, g.cpu_time_limit);
  if (n == "cpu-priority") {
    g.cpu_priority_set = true;
    return parse_int(cmd, name, value, -20, 19, g.cpu_priority);
  }
  if (n == "restart-interval") {
    return parse_int(cmd, name, value, 0, 86400 * 365, g.restart_interval);
  }
  if (n == "startup-timeout") return parse_int(cmd, name, value, 0, 86400, g.startup_timeout);
  if (n == "deadlock-timeout") return parse_int(cmd, name, value, 0, 86400, g.deadlock_timeout);
  if (n == "memory-limit") {
    long v = 0;
    if (parse_long(cmd, name, value, 0, LONG_MAX, v) != nullptr || (v > 0 && v < kMinMemoryLimit)) {
      return fail(cmd, "WSGID0002",
                  "option memory-limit=%s is not valid: expected 0 (no limit) or a resident size "
                  "in bytes from %ld",
                  value, kMinMemoryLimit);
    }
    g.memory_limit = v;
    return nullptr;
  }
  if (n == "stack-size") {
    long v = 0;
    if (parse_long(cmd, name, value, 0, kMaxStackSize, v) != nullptr ||
        (v > 0 && v < kMinStackSize)) {
      return fail(cmd, "WSGID0002",
                  "option stack-size=%s is not valid: expected 0 (the system's default) or a "
                  "size in bytes from %ld to %ld",
                  value, kMinStackSize, kMaxStackSize);
    }
    g.stack_size = v;
    return nullptr;
  }
  if (n == "chroot") return set_chroot(cmd, g, value);
  if (n == "sandbox-read" || n == "sandbox-write" || n == "sandbox-scopes" ||
      n == "sandbox-filesystem") {
    return set_sandbox_option(cmd, g, n, name, value);
  }
  if (n == "settings-file") {
    g.settings_file = ap_server_root_relative(cmd->pool, value);
    return nullptr;
  }
  return unknown_option(cmd, name, kDaemonOptions);
}

namespace {

const char* cmd_daemon_process(cmd_parms* cmd, void* /*mconfig*/, const char* args) {
  if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
  const char* name = ap_getword_conf(cmd->pool, &args);
  if (!*name) return fail(cmd, "WSGID0005", "a daemon process group name is required");
  if (std::strchr(name, '/') || std::strchr(name, '%')) {
    return fail(cmd, "WSGID0005", "group name '%s' may not contain '/' or '%%'", name);
  }
  if (DaemonGroup* existing = find_group(name)) {
    return fail(cmd, "WSGID0006",
                "group name '%s' is already defined at %s: each daemon process group needs a "
                "unique name",
                name, existing->defined_in);
  }
  auto* g = static_cast<DaemonGroup*>(apr_pcalloc(cmd->pool, sizeof(DaemonGroup)));
  new (g) DaemonGroup{};
  g->name = name;
  g->server = cmd->server;
  g->defined_in = where(cmd);
  g->python_path = apr_array_make(cmd->pool, 2, sizeof(const char*));
  g->imports = apr_array_make(cmd->pool, 2, sizeof(wsgid_preload));
  g->preloads = apr_array_make(cmd->pool, 2, sizeof(wsgid_preload));
  g->sandbox_read = apr_array_make(cmd->pool, 2, sizeof(const char*));
  g->sandbox_write = apr_array_make(cmd->pool, 2, sizeof(const char*));
  while (*args) {
    const char* word = ap_getword_conf(cmd->pool, &args);
    if (!*word) break;
    const char* opt = nullptr;
    const char* value = nullptr;
    if (!split_option(cmd->pool, word, opt, value)) {
      return fail(cmd, "WSGID0001", "'%s' is not an option=value pair; valid options are: %s", word,
                  kDaemonOptions);
    }
    if (const char* err = set_daemon_option(cmd, *g, opt, value)) return err;
  }
  // After the line's own options, whatever their order: the file's settings win.
  if (const char* err = load_daemon_settings(cmd, *g)) return err;
  *static_cast<DaemonGroup**>(apr_array_push(global_config().groups)) = g;
  return nullptr;
}

const char* parse_alias_options(cmd_parms* cmd, const char* args, ScriptAlias& a) {
  while (*args) {
    const char* word = ap_getword_conf(cmd->pool, &args);
    if (!*word) break;
    const char* name = nullptr;
    const char* value = nullptr;
    if (!split_option(cmd->pool, word, name, value)) {
      return fail(cmd, "WSGID0001",
                  "'%s' is not an option=value pair; valid options are: process-group, "
                  "application-group, callable-object, pass-authorization",
                  word);
    }
    const std::string_view n(name);
    if (n == "process-group") {
      a.process_group = value;
    } else if (n == "application-group") {
      a.application_group = value;
    } else if (n == "callable-object") {
      a.callable_object = value;
    } else if (n == "pass-authorization") {
      if (const char* err = parse_on_off(cmd, name, value, a.pass_authorization)) return err;
    } else {
      return unknown_option(cmd, name, kAliasOptions);
    }
  }
  return nullptr;
}

// A script whose groups are both given literally is loaded when its daemon starts, as mod_wsgi
// does, so the first request does not pay for the import.
const char* note_preload(const ScriptAlias& a) {
  if (a.regex || !a.process_group) return nullptr;
  const bool embedded = std::strcmp(a.process_group, "%{GLOBAL}") == 0;
  if (!embedded && !is_literal_group(a.process_group)) return nullptr;
  const char* app_group = literal_application_group(a.application_group);
  if (!app_group) return nullptr;
  DaemonGroup* g = embedded ? nullptr : find_group(a.process_group);
  if (!embedded && !g) return nullptr;  // reported at request time, as mod_wsgi does
  auto* p = static_cast<wsgid_preload*>(
      apr_array_push(embedded ? global_config().embedded_preloads : g->preloads));
  p->script_path = a.application;
  p->application_group = app_group;
  p->callable_object = a.callable_object ? a.callable_object : "application";
  return nullptr;
}

const char* add_alias(cmd_parms* cmd, const char* args, bool match) {
  if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
  ScriptAlias a;
  a.location = ap_getword_conf(cmd->pool, &args);
  const char* script = ap_getword_conf(cmd->pool, &args);
  if (!*a.location || !*script) {
    return fail(cmd, "WSGID0007", "expected a URL %s and a script path, e.g. %s / /srv/app/wsgi.py",
                match ? "pattern" : "path", cmd->cmd->name);
  }
  a.application = match ? script : ap_server_root_relative(cmd->pool, script);
  if (match) {
    a.regex = ap_pregcomp(cmd->pool, a.location, AP_REG_EXTENDED);
    if (!a.regex) {
      return fail(cmd, "WSGID0007", "'%s' is not a valid regular expression", a.location);
    }
  }
  if (const char* err = parse_alias_options(cmd, args, a)) return err;
  auto* sc =
      static_cast<ServerConfig*>(ap_get_module_config(cmd->server->module_config, &wsgid_module));
  *static_cast<ScriptAlias*>(apr_array_push(sc->aliases)) = a;
  return note_preload(a);
}

const char* cmd_script_alias(cmd_parms* cmd, void*, const char* args) {
  return add_alias(cmd, args, false);
}

const char* cmd_script_alias_match(cmd_parms* cmd, void*, const char* args) {
  return add_alias(cmd, args, true);
}

const char* cmd_import_script(cmd_parms* cmd, void*, const char* args) {
  if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE)) return err;
  const char* script = ap_getword_conf(cmd->pool, &args);
  if (!*script) return fail(cmd, "WSGID0007", "expected a script path");
  const char* process_group = nullptr;
  const char* application_group = nullptr;
  while (*args) {
    const char* word = ap_getword_conf(cmd->pool, &args);
    if (!*word) break;
    const char* name = nullptr;
    const char* value = nullptr;
    if (!split_option(cmd->pool, word, name, value) ||
        (std::strcmp(name, "process-group") != 0 && std::strcmp(name, "application-group") != 0)) {
      return fail(cmd, "WSGID0001",
                  "'%s' is not known; valid options are: process-group=NAME, "
                  "application-group=NAME",
                  word);
    }
    (std::strcmp(name, "process-group") == 0 ? process_group : application_group) = value;
  }
  if (!process_group || !application_group) {
    return fail(cmd, "WSGID0009",
                "both process-group= and application-group= are required, e.g. "
                "WSGIImportScript %s process-group=NAME application-group=%%{GLOBAL}",
                script);
  }
  const char* app_group = literal_application_group(application_group);
  if (!app_group) {
    return fail(cmd, "WSGID0009",
                "application-group=%s must be %%{GLOBAL} or a literal name: the script is "
                "loaded before any request exists to expand it",
                application_group);
  }
  if (std::strcmp(process_group, "%{GLOBAL}") == 0) {
    // Embedded mode: imported in each worker child as it starts (see embedded_daemon.hpp).
    auto* p = static_cast<wsgid_preload*>(apr_array_push(global_config().embedded_preloads));
    p->script_path = ap_server_root_relative(cmd->pool, script);
    p->application_group = app_group;
    p->callable_object = nullptr;
    return nullptr;
  }
  DaemonGroup* g = find_group(process_group);
  if (!g || !group_visible_from(*g, cmd->server)) {
    return fail(cmd, "WSGID0008",
                "process-group=%s is not a daemon process group declared before this line in "
                "the same VirtualHost or at server scope: declare it first with "
                "WSGIDaemonProcess %s",
                process_group, process_group);
  }
  auto* p = static_cast<wsgid_preload*>(apr_array_push(g->imports));
  p->script_path = ap_server_root_relative(cmd->pool, script);
  p->application_group = app_group;
  p->callable_object = nullptr;
  return nullptr;
}

constexpr const char* kHandlerScriptOptions =
    "process-group, application-group, pass-authorization";

// WSGIHandlerScript NAME PATH [option=value ...]: r->handler NAME (AddHandler/SetHandler) is
// served by PATH's handle_request.
const char* cmd_handler_script(cmd_parms* cmd, void* mconfig, const char* args) {
  HandlerScript h;
  h.name = ap_getword_conf(cmd->pool, &args);
  const char* script = ap_getword_conf(cmd->pool, &args);
  if (!*h.name || !*script) {
    return fail(cmd, "WSGID0007",
                "expected a handler name and a script path, e.g. WSGIHandlerScript bobo-script "
                "/srv/handlers/bobo.py, then AddHandler bobo-script .bobo");
  }
  h.script = ap_server_root_relative(cmd->pool, script);
  while (*args) {
    const char* word = ap_getword_conf(cmd->pool, &args);
    if (!*word) break;
    const char* name = nullptr;
    const char* value = nullptr;
    if (!split_option(cmd->pool, word, name, value)) {
      return fail(cmd, "WSGID0001", "'%s' is not an option=value pair; valid options are: %s", word,
                  kHandlerScriptOptions);
    }
    const std::string_view n(name);
    if (n == "process-group") {
      h.process_group = value;
    } else if (n == "application-group") {
      h.application_group = value;
    } else if (n == "pass-authorization") {
      if (const char* err = parse_on_off(cmd, name, value, h.pass_authorization)) return err;
    } else {
      return unknown_option(cmd, name, kHandlerScriptOptions);
    }
  }
  auto* dc = static_cast<DirConfig*>(mconfig);
  if (!dc->handler_scripts) {
    dc->handler_scripts = apr_array_make(cmd->pool, 1, sizeof(HandlerScript));
  }
  *static_cast<HandlerScript*>(apr_array_push(dc->handler_scripts)) = h;
  return nullptr;
}

// process-group= of an access or auth hook: the group must be declared before, where the hook
// can see it, and its daemons may then read the script under their Landlock scope. Not in
// .htaccess: that would widen a group's scope from a file its app may be able to write.
const char* hook_process_group(cmd_parms* cmd, HookScript& h, const char* value) {
  if (std::strcmp(value, "%{GLOBAL}") == 0) return nullptr;  // the worker, as without it
  if (const char* err = ap_check_cmd_context(cmd, NOT_IN_HTACCESS)) return err;
  DaemonGroup* g = find_group(value);
  if (!g || !group_visible_from(*g, cmd->server)) {
    return fail(cmd, "WSGID0610",
                "process-group=%s names no daemon process group declared before this line in "
                "this VirtualHost or at server scope: declare it with WSGIDaemonProcess %s first, "
                "or leave process-group= out to run %s in the worker",
                value, value, cmd->cmd->name);
  }
  h.process_group = g->name;
  *static_cast<const char**>(apr_array_push(g->sandbox_read)) = h.script;
  return nullptr;
}

// WSGIAccessScript, WSGIAuthUserScript, WSGIAuthGroupScript: FILE [application-group=NAME]
// [process-group=NAME]; WSGIDispatchScript: FILE [application-group=NAME]. The script runs in
// the worker child (embedded) unless process-group= names a daemon group.
const char* cmd_hook_script(cmd_parms* cmd, void* mconfig, const char* args) {
  auto* h = static_cast<HookScript*>(apr_pcalloc(cmd->pool, sizeof(HookScript)));
  new (h) HookScript{};
  const char* script = ap_getword_conf(cmd->pool, &args);
  if (!*script) {
    return fail(cmd, "WSGID0007", "expected a script path, e.g. %s /srv/hooks/auth.wsgi",
                cmd->cmd->name);
  }
  h->script = ap_server_root_relative(cmd->pool, script);
  // The dispatch script chooses the process group, so it cannot run in one.
  const bool dispatch = std::strcmp(cmd->cmd->name, "WSGIDispatchScript") == 0;
  const char* valid = dispatch ? "application-group" : "application-group, process-group";
  while (*args) {
    const char* word = ap_getword_conf(cmd->pool, &args);
    if (!*word) break;
    const char* name = nullptr;
    const char* value = nullptr;
    if (!split_option(cmd->pool, word, name, value)) {
      return fail(cmd, "WSGID0001", "'%s' is not an option=value pair; valid options are: %s", word,
                  valid);
    }
    if (std::strcmp(name, "application-group") == 0) {
      h->application_group = value;
    } else if (!dispatch && std::strcmp(name, "process-group") == 0) {
      if (const char* err = hook_process_group(cmd, *h, value)) return err;
    } else {
      return unknown_option(cmd, name, valid);
    }
  }
  auto* dc = static_cast<DirConfig*>(mconfig);
  const std::string_view n(cmd->cmd->name);
  if (n == "WSGIAccessScript") {
    dc->access_script = h;
  } else if (n == "WSGIAuthUserScript") {
    dc->auth_user_script = h;
  } else if (n == "WSGIAuthGroupScript") {
    dc->auth_group_script = h;
  } else {
    dc->dispatch_script = h;
  }
  return nullptr;
}

const char* cmd_dir_string(cmd_parms* cmd, void* mconfig, const char* value) {
  auto* dc = static_cast<DirConfig*>(mconfig);
  const std::string_view n(cmd->cmd->name);
  if (n == "WSGIProcessGroup") {
    dc->process_group = value;
  } else if (n == "WSGIApplicationGroup") {
    dc->application_group = value;
  } else {
    dc->callable_object = value;
  }
  return nullptr;
}

const char* cmd_dir_flag(cmd_parms* cmd, void* mconfig, int on) {
  auto* dc = static_cast<DirConfig*>(mconfig);
  const std::string_view n(cmd->cmd->name);
  if (n == "WSGIPassAuthorization") {
    dc->pass_authorization = on;
  } else if (n == "WSGIChunkedRequest") {
    dc->chunked_request = on;
  } else if (n == "WSGIScriptReloading") {
    dc->script_reloading = on;
  } else {
    dc->error_override = on;
  }
  return nullptr;
}

const char* cmd_map_head_to_get(cmd_parms* cmd, void* mconfig, const char* value) {
  auto* dc = static_cast<DirConfig*>(mconfig);
  if (!strcasecmp(value, "On")) {
    dc->map_head_to_get = MapHeadToGet::kOn;
  } else if (!strcasecmp(value, "Off")) {
    dc->map_head_to_get = MapHeadToGet::kOff;
  } else if (!strcasecmp(value, "Auto")) {
    dc->map_head_to_get = MapHeadToGet::kAuto;
  } else {
    return fail(cmd, "WSGID0002", "'%s' is not valid: expected On, Off or Auto", value);
  }
  return nullptr;
}

// Server-scope settings: anywhere else is an error `apache2 -t` reports.
const char* cmd_global_flag(cmd_parms* cmd, void*, int on) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  GlobalConfig& gc = global_config();
  const std::string_view n(cmd->cmd->name);
  if (n == "WSGIRestrictEmbedded") {
    gc.restrict_embedded = on;
  } else if (n == "WSGILazyInitialization") {
    gc.lazy_initialization = on;
  } else if (n == "WSGIDontWriteBytecode") {
    gc.dont_write_bytecode = on;
  } else if (n == "WSGIRestrictStdin") {
    gc.restrict_stdin = on;
  } else {
    gc.restrict_stdout = on;
  }
  return nullptr;
}

// Python's -W syntax, action:message:category:module:lineno. The action and line number are
// checked here; the category can only be resolved by Python, which warns about a bad one at
// start-up in the daemon's log.
bool valid_warn_option(const char* value) {
  std::string_view rest(value);
  std::string_view fields[5];
  std::size_t count = 0;
  for (;;) {
    const std::size_t colon = rest.find(':');
    if (count == 5) return false;
    fields[count++] = rest.substr(0, colon);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  };
  const std::string_view action = trim(fields[0]);
  bool known = false;
  // Python accepts any prefix of an action's name ("i" is ignore), as its -W option does.
  for (std::string_view a : {"default", "always", "ignore", "module", "once", "error"}) {
    known = known || (!action.empty() && a.substr(0, action.size()) == action);
  }
  if (!known) return false;
  if (count == 5) {
    const std::string_view line = trim(fields[4]);
    for (char c : line) {
      if (c < '0' || c > '9') return false;
    }
  }
  return true;
}

const char* cmd_python_warnings(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  if (!valid_warn_option(value)) {
    return fail(cmd, "WSGID0021",
                "'%s' is not a warning filter: expected Python's -W syntax "
                "action[:message[:category[:module[:lineno]]]] with action one of default, "
                "always, ignore, module, once, error (e.g. ignore::DeprecationWarning)",
                value);
  }
  *static_cast<const char**>(apr_array_push(global_config().python_warnings)) = value;
  return nullptr;
}

const char* cmd_python_optimize(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || v < 0 || v > 2) {
    return fail(cmd, "WSGID0002",
                "'%s' is not valid: expected 0 (keep asserts), 1 (like python -O) or 2 (-OO, "
                "also drops docstrings)",
                value);
  }
  global_config().python_optimize = static_cast<int>(v);
  return nullptr;
}

const char* cmd_python_hash_seed(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  GlobalConfig& gc = global_config();
  if (!strcasecmp(value, "random")) {
    gc.use_hash_seed = 0;
    gc.hash_seed = 0;
    return nullptr;
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(value, &end, 10);
  if (*value < '0' || *value > '9' || *end != '\0' || errno == ERANGE || v > 4294967295ULL) {
    return fail(cmd, "WSGID0002",
                "'%s' is not valid: expected random or a seed from 0 to 4294967295 (as "
                "PYTHONHASHSEED)",
                value);
  }
  gc.use_hash_seed = 1;
  gc.hash_seed = static_cast<unsigned long>(v);
  return nullptr;
}

const char* cmd_global_string(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  GlobalConfig& gc = global_config();
  const std::string_view n(cmd->cmd->name);
  if (n == "WSGISocketPrefix") {
    gc.socket_prefix = ap_runtime_dir_relative(cmd->pool, value);
  } else if (n == "WSGIPythonHome") {
    gc.python_home = value;
  } else {
    char* rest = apr_pstrdup(cmd->pool, value);
    char* state = nullptr;
    for (char* part = apr_strtok(rest, ":", &state); part;
         part = apr_strtok(nullptr, ":", &state)) {
      *static_cast<const char**>(apr_array_push(gc.python_path)) = part;
    }
  }
  return nullptr;
}

using TakeRaw = const char* (*)(cmd_parms*, void*, const char*);
using TakeFlag = const char* (*)(cmd_parms*, void*, int);

// httpd calls the handler with the signature its `args_how` implies; going through void(*)()
// is the sanctioned way to store a function pointer of another type.
template <typename F>
cmd_func as_cmd_func(F fn) {
  return reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(fn));
}

}  // namespace

// In C++ httpd declares cmd_func as a plain `const char* (*)()`, so the handlers are cast.
#define WSGID_RAW(name, fn, where, help) \
  command_rec { name, as_cmd_func(static_cast<TakeRaw>(fn)), nullptr, where, RAW_ARGS, help }
#define WSGID_TAKE1(name, fn, where, help) \
  command_rec { name, as_cmd_func(static_cast<TakeRaw>(fn)), nullptr, where, TAKE1, help }
#define WSGID_FLAG(name, fn, where, help) \
  command_rec { name, as_cmd_func(static_cast<TakeFlag>(fn)), nullptr, where, FLAG, help }

const command_rec kDirectives[] = {
    WSGID_RAW("WSGIDaemonProcess", cmd_daemon_process, RSRC_CONF,
              "Declare a daemon process group: NAME [option=value ...]"),
    WSGID_RAW("WSGIScriptAlias", cmd_script_alias, RSRC_CONF,
              "Map a URL path to a WSGI script: URL-PATH FILE [option=value ...]"),
    WSGID_RAW("WSGIScriptAliasMatch", cmd_script_alias_match, RSRC_CONF,
              "Map a URL regex to a WSGI script: REGEX FILE [option=value ...]"),
    WSGID_RAW("WSGIImportScript", cmd_import_script, RSRC_CONF,
              "Load a script when a daemon starts: FILE process-group=NAME application-group=NAME"),
    WSGID_RAW("WSGIHandlerScript", cmd_handler_script, ACCESS_CONF | RSRC_CONF,
              "Serve requests of an httpd handler with a script's handle_request: NAME FILE "
              "[process-group=NAME] [application-group=NAME] [pass-authorization=On|Off]"),
    WSGID_RAW("WSGIAccessScript", cmd_hook_script, OR_AUTHCFG | ACCESS_CONF,
              "Python script whose allow_access(environ, host) grants (True) or denies (False) "
              "access: FILE [application-group=NAME]"),
    WSGID_RAW("WSGIAuthUserScript", cmd_hook_script, OR_AUTHCFG | ACCESS_CONF,
              "Python script for AuthBasicProvider/AuthDigestProvider wsgi: check_password() "
              "and get_realm_hash(): FILE [application-group=NAME]"),
    WSGID_RAW("WSGIAuthGroupScript", cmd_hook_script, OR_AUTHCFG | ACCESS_CONF,
              "Python script whose groups_for_user(environ, user) serves Require wsgi-group: "
              "FILE [application-group=NAME]"),
    WSGID_RAW("WSGIDispatchScript", cmd_hook_script, OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
              "Python script whose process_group(), application_group() and callable_object() "
              "may override them per request: FILE [application-group=NAME]"),
    WSGID_TAKE1("WSGIProcessGroup", cmd_dir_string, ACCESS_CONF | RSRC_CONF,
                "Daemon process group the application runs in"),
    WSGID_TAKE1("WSGIApplicationGroup", cmd_dir_string, ACCESS_CONF | RSRC_CONF,
                "Interpreter the application runs in: %{GLOBAL}, %{SERVER}, %{RESOURCE} or a name"),
    WSGID_TAKE1("WSGICallableObject", cmd_dir_string, OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
                "Name of the WSGI callable in the script (default: application)"),
    WSGID_FLAG("WSGIPassAuthorization", cmd_dir_flag, OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
               "Pass the Authorization header to the application: On or Off"),
    WSGID_FLAG("WSGIChunkedRequest", cmd_dir_flag, OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
               "Accept chunked request bodies (read until the end): On or Off"),
    WSGID_FLAG("WSGIErrorOverride", cmd_dir_flag, OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
               "Replace the application's 4xx/5xx bodies with httpd's ErrorDocument: On or Off"),
    WSGID_FLAG("WSGIScriptReloading", cmd_dir_flag, OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
               "Recycle the daemon when a loaded WSGI script changes: On (default) or Off"),
    WSGID_TAKE1("WSGIMapHEADToGET", cmd_map_head_to_get, OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
                "Pass HEAD to the application as GET: On, Off or Auto (when output filters "
                "may need the body)"),
    WSGID_FLAG("WSGIRestrictEmbedded", cmd_global_flag, RSRC_CONF,
               "Refuse to run applications in httpd's worker processes: On or Off"),
    WSGID_FLAG("WSGILazyInitialization", cmd_global_flag, RSRC_CONF,
               "Start Python only in processes that run it: On (default) or Off"),
    WSGID_TAKE1("WSGISocketPrefix", cmd_global_string, RSRC_CONF,
                "Path prefix of the daemon groups' UNIX sockets"),
    WSGID_TAKE1("WSGIPythonHome", cmd_global_string, RSRC_CONF,
                "Python home (prefix or virtualenv) for daemons without python-home"),
    WSGID_TAKE1("WSGIPythonPath", cmd_global_string, RSRC_CONF,
                "Extra sys.path entries (colon-separated) for every daemon"),
    WSGID_TAKE1("WSGIPythonWarnings", cmd_python_warnings, RSRC_CONF,
                "A Python warning filter for every daemon, as python -W (repeatable)"),
    WSGID_TAKE1("WSGIPythonOptimize", cmd_python_optimize, RSRC_CONF,
                "Python optimisation level in daemons: 0, 1 (-O) or 2 (-OO)"),
    WSGID_FLAG("WSGIDontWriteBytecode", cmd_global_flag, RSRC_CONF,
               "Do not write .pyc files in daemons: On or Off (default)"),
    WSGID_TAKE1("WSGIPythonHashSeed", cmd_python_hash_seed, RSRC_CONF,
                "Hash seed of daemons' Python: random or a number from 0 to 4294967295"),
    WSGID_FLAG("WSGIRestrictStdin", cmd_global_flag, RSRC_CONF,
               "Make any use of sys.stdin an error in daemons: On or Off (default)"),
    WSGID_FLAG("WSGIRestrictStdout", cmd_global_flag, RSRC_CONF,
               "Make any use of sys.stdout an error in daemons: On or Off (default)"),
    command_rec{},
};

}  // namespace wsgid
