#include "daemon_settings.hpp"

#include <apr_strings.h>
#include <http_log.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <type_traits>
#include <variant>

#include "daemon_group_options.hpp"
#include "log.hpp"
#include "records_file.hpp"

namespace wsgid {
namespace {

constexpr RecordsFileKind kSettingsFile{"settings-file", "WSGID0615", "WSGID0615", "WSGID0616"};

// The options a settings-file may hold are the table's reloadable rows (contract/
// daemon_options.hpp): only what the daemon process alone applies. The parent forks each daemon
// with the group's current values, while httpd's workers keep those they were forked with until
// httpd restarts. `threads` is also the workers' cap on idle connections kept per group, which
// follows at the next restart (a smaller cap only keeps fewer connections pooled).

// A re-read takes a reloadable option into the live group: its member, and its "given" flag.
void take(const daemon_option::Spec& spec, DaemonGroup& live, const DaemonGroup& fresh) {
  std::visit(
      [&](auto member) {
        if constexpr (!std::is_same_v<decltype(member), std::monostate>) {
          live.*member = fresh.*member;
        }
      },
      spec.member);
  if (spec.given) live.*spec.given = fresh.*spec.given;
}

std::string reloadable_names() {
  std::string names;
  for (const auto& spec : daemon_option::kTable) {
    if (spec.reloadable) names.append(names.empty() ? "" : ", ").append(spec.name);
  }
  return names;
}

DaemonGroup::FileStamp stamp_of(const struct stat& st) {
  return {st.st_dev, st.st_ino,
          static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec,
          st.st_size};
}

// The group's arrays that options append to get copies of their own, so applying the file to a
// copy of the base never changes the base.
void own_arrays(apr_pool_t* p, DaemonGroup& g) {
  g.python_path = apr_array_copy(p, g.python_path);
  g.sandbox_read = apr_array_copy(p, g.sandbox_read);
  g.sandbox_write = apr_array_copy(p, g.sandbox_write);
}

// Reads g.settings_file into `into` through apply_daemon_option, with `cmd` for its pool and
// messages. Returns nullptr or the code, with `error` naming the file, record and fix.
const char* apply_file(cmd_parms* cmd, const DaemonGroup& g, DaemonGroup& into,
                       DaemonGroup::FileStamp& stamp, std::string& error) {
  const char* code_of_record = nullptr;
  const char* code = read_records_file(
      g.settings_file, geteuid(), kSettingsFile, error,
      [&](char* record, std::size_t, std::string& why) {
        char* equals = std::strchr(record, '=');
        if (!equals || equals == record) {
          why = "is not option=value";
          return false;
        }
        *equals = '\0';
        if (!settings_file_may_hold(record)) {
          why = std::string("names option '") + record +
                "', which httpd's parent or workers read, so a settings-file cannot change it "
                "without an httpd restart: give it on the WSGIDaemonProcess line instead (a "
                "settings-file may hold " +
                reloadable_names() + ")";
          code_of_record = "WSGID0617";
          return false;
        }
        const char* name = apr_pstrdup(cmd->pool, record);
        if (const OptionProblem bad =
                apply_daemon_option(cmd->pool, into, name, apr_pstrdup(cmd->pool, equals + 1))) {
          why = std::string("is refused: ") + bad.code + " " + cmd->cmd->name + ": " + bad.message;
          return false;
        }
        return true;
      });
  if (code) return code_of_record ? code_of_record : code;
  struct stat st {};
  if (::stat(g.settings_file, &st) == 0) stamp = stamp_of(st);
  return nullptr;
}

// Messages name the directive the options belong to, and strings live in the cmd_parms' pool:
// outside configuration reading, a cmd_parms of our own.
const command_rec kDaemonProcessCommand{"WSGIDaemonProcess", nullptr,  nullptr,
                                        RSRC_CONF,           RAW_ARGS, nullptr};

}  // namespace

bool settings_file_may_hold(std::string_view option) {
  const daemon_option::Spec* spec = daemon_option::find(option);
  return spec && spec->reloadable;
}

const char* load_daemon_settings(cmd_parms* cmd, DaemonGroup& g) {
  if (!g.settings_file) return nullptr;
  auto* base = static_cast<DaemonGroup*>(apr_palloc(cmd->pool, sizeof(DaemonGroup)));
  *base = g;
  own_arrays(cmd->pool, *base);
  g.settings_base = base;
  std::string error;
  if (const char* code = apply_file(cmd, g, g, g.settings_stamp, error)) {
    return apr_psprintf(cmd->pool, "%s %s: %s", code, cmd->cmd->name, error.c_str());
  }
  return nullptr;
}

void refresh_daemon_settings(DaemonGroup& g) {
  if (!g.settings_file || !g.settings_base) return;
  struct stat st {};
  // Gone or unreadable: the read below says why, once per change of what is there.
  const DaemonGroup::FileStamp now =
      ::stat(g.settings_file, &st) == 0 ? stamp_of(st) : DaemonGroup::FileStamp{};
  if (now == g.settings_stamp) return;
  apr_pool_t* pool = nullptr;
  // A pool of the configuration's own, replaced at each re-read, so reloads do not add up.
  if (apr_pool_create(&pool, g.server->process->pconf) != APR_SUCCESS) return;
  cmd_parms cmd{};
  cmd.pool = pool;
  cmd.temp_pool = pool;
  cmd.server = g.server;
  cmd.cmd = &kDaemonProcessCommand;
  DaemonGroup fresh = *g.settings_base;
  own_arrays(pool, fresh);
  DaemonGroup::FileStamp stamp = now;
  std::string error;
  if (const char* code = apply_file(&cmd, g, fresh, stamp, error)) {
    log_server(g.server, APLOG_ERR, 0, code,
               "%s; daemon group '%s' keeps its settings until the file is fixed", error.c_str(),
               g.name);
    g.settings_stamp = now;  // said once, not at every fork
    apr_pool_destroy(pool);
    return;
  }
  // What start-up adds to every group's python-path (WSGIPythonPath), as start_daemon_groups did.
  const GlobalConfig& gc = global_config();
  if (gc.python_path && gc.python_path->nelts) {
    fresh.python_path = apr_array_append(pool, fresh.python_path, gc.python_path);
  }
  for (const auto& spec : daemon_option::kTable) {
    if (spec.reloadable) take(spec, g, fresh);
  }
  if (g.settings_pool) apr_pool_destroy(g.settings_pool);
  g.settings_pool = pool;
  g.settings_stamp = stamp;
  log_server(g.server, APLOG_NOTICE, 0, "WSGID0618",
             "daemon group '%s': settings-file %s changed; processes started from now on have "
             "threads=%d maximum-requests=%ld memory-limit=%lld request-timeout=%d",
             g.name, g.settings_file, g.threads, g.maximum_requests, g.memory_limit,
             g.request_timeout);
}

}  // namespace wsgid
