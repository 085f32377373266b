// Directives that name WSGI scripts: URL mappings (WSGIScriptAlias, WSGIScriptAliasMatch,
// WSGIHandlerScript), scripts loaded at start (WSGIImportScript) and Python hooks.
#include <http_core.h>
#include <apr_strings.h>

#include <cstdint>
#include <cstring>
#include <new>

#include "config.hpp"
#include "directive_handlers.hpp"
#include "directive_parsing.hpp"

namespace wsgid {
namespace {

bool is_literal_group(const char* g) { return g && (std::strstr(g, "%{") == nullptr); }

// %{GLOBAL} names the main interpreter, which the Python side calls "".
const char* literal_application_group(const char* g) {
  if (!g) return nullptr;
  if (std::strcmp(g, "%{GLOBAL}") == 0) return "";
  return is_literal_group(g) ? g : nullptr;
}

constexpr std::array<WordOption<ScriptAlias>, 4> kAliasOptions{{
    {"process-group", &ScriptAlias::process_group},
    {"application-group", &ScriptAlias::application_group},
    {"callable-object", &ScriptAlias::callable_object},
    {"pass-authorization", &ScriptAlias::pass_authorization},
}};

constexpr std::array<WordOption<HandlerScript>, 3> kHandlerScriptOptions{{
    {"process-group", &HandlerScript::process_group},
    {"application-group", &HandlerScript::application_group},
    {"pass-authorization", &HandlerScript::pass_authorization},
}};

struct ImportOptions {
  const char* process_group = nullptr;
  const char* application_group = nullptr;
};
constexpr std::array<WordOption<ImportOptions>, 2> kImportOptions{{
    {"process-group", &ImportOptions::process_group},
    {"application-group", &ImportOptions::application_group},
}};

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
  if (const char* err = parse_word_options(cmd, args, kAliasOptions, a)) return err;
  auto* sc =
      static_cast<ServerConfig*>(ap_get_module_config(cmd->server->module_config, &wsgid_module));
  *static_cast<ScriptAlias*>(apr_array_push(sc->aliases)) = a;
  return note_preload(a);
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

}  // namespace

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
  ImportOptions o;
  if (const char* err = parse_word_options(cmd, args, kImportOptions, o)) return err;
  if (!o.process_group || !o.application_group) {
    return fail(cmd, "WSGID0009",
                "both process-group= and application-group= are required, e.g. "
                "WSGIImportScript %s process-group=NAME application-group=%%{GLOBAL}",
                script);
  }
  const char* app_group = literal_application_group(o.application_group);
  if (!app_group) {
    return fail(cmd, "WSGID0009",
                "application-group=%s must be %%{GLOBAL} or a literal name: the script is "
                "loaded before any request exists to expand it",
                o.application_group);
  }
  apr_array_header_t* into = nullptr;
  if (std::strcmp(o.process_group, "%{GLOBAL}") == 0) {
    // Embedded mode: imported in each worker child as it starts (see embedded_daemon.hpp).
    into = global_config().embedded_preloads;
  } else {
    DaemonGroup* g = find_group(o.process_group);
    if (!g || !group_visible_from(*g, cmd->server)) {
      return fail(cmd, "WSGID0008",
                  "process-group=%s is not a daemon process group declared before this line in "
                  "the same VirtualHost or at server scope: declare it first with "
                  "WSGIDaemonProcess %s",
                  o.process_group, o.process_group);
    }
    into = g->imports;
  }
  auto* p = static_cast<wsgid_preload*>(apr_array_push(into));
  p->script_path = ap_server_root_relative(cmd->pool, script);
  p->application_group = app_group;
  p->callable_object = nullptr;
  return nullptr;
}

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
  if (const char* err = parse_word_options(cmd, args, kHandlerScriptOptions, h)) return err;
  auto* dc = static_cast<DirConfig*>(mconfig);
  if (!dc->handler_scripts) {
    dc->handler_scripts = apr_array_make(cmd->pool, 1, sizeof(HandlerScript));
  }
  *static_cast<HandlerScript*>(apr_array_push(dc->handler_scripts)) = h;
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
  const char* err =
      each_option(cmd, args, valid, [&](const char* name, const char* value) -> const char* {
        if (std::strcmp(name, "application-group") == 0) {
          h->application_group = value;
          return nullptr;
        }
        if (!dispatch && std::strcmp(name, "process-group") == 0) {
          return hook_process_group(cmd, *h, value);
        }
        return fail(cmd, "WSGID0001", "%s", unknown_option_message(cmd->pool, name, valid));
      });
  if (err) return err;
  const auto offset = reinterpret_cast<std::uintptr_t>(cmd->info);
  *reinterpret_cast<const HookScript**>(static_cast<char*>(mconfig) + offset) = h;
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

}  // namespace wsgid
