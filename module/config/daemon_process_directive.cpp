// WSGIDaemonProcess NAME [option=value ...]: declares a daemon process group. The options are
// daemon_group_options.hpp's.
#include <apr_strings.h>

#include <cstring>
#include <new>

#include "config.hpp"
#include "daemon_group_options.hpp"
#include "daemon_settings.hpp"
#include "directive_handlers.hpp"
#include "directive_parsing.hpp"

namespace wsgid {

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
  const char* err =
      each_option(cmd, args, daemon_option::names(), [&](const char* opt, const char* value) {
        const OptionProblem bad = apply_daemon_option(cmd->pool, *g, opt, value);
        return bad ? fail(cmd, bad.code, "%s", bad.message) : nullptr;
      });
  if (err) return err;
  // After the line's own options, whatever their order: the file's settings win.
  if (const char* file_err = load_daemon_settings(cmd, *g)) return file_err;
  *static_cast<DaemonGroup**>(apr_array_push(global_config().groups)) = g;
  return nullptr;
}

}  // namespace wsgid
