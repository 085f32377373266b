// The directive table: mod_wsgi's names, each pointing at its handler (directive_handlers.hpp)
// or, for plain flags and strings, at httpd's own slot setters with the member's offset.
#include "directives.hpp"

#include <cstddef>

#include "config.hpp"
#include "directive_handlers.hpp"

namespace wsgid {
namespace {

using TakeRaw = const char* (*)(cmd_parms*, void*, const char*);
using TakeFlag = const char* (*)(cmd_parms*, void*, int);

// httpd calls the handler with the signature its `args_how` implies; going through void(*)()
// is the sanctioned way to store a function pointer of another type.
template <typename F>
cmd_func as_cmd_func(F fn) {
  return reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(fn));
}

// The offset of a member, in the form httpd's slot setters take it (cmd->info).
void* slot(std::size_t offset) { return reinterpret_cast<void*>(offset); }

}  // namespace

// In C++ httpd declares cmd_func as a plain `const char* (*)()`, so the handlers are cast.
// `data` becomes cmd->info: a member's offset for the slot setters, else nullptr.
#define WSGID_RAW(name, fn, data, where, help) \
  command_rec { name, as_cmd_func(static_cast<TakeRaw>(fn)), data, where, RAW_ARGS, help }
#define WSGID_TAKE1(name, fn, data, where, help) \
  command_rec { name, as_cmd_func(static_cast<TakeRaw>(fn)), data, where, TAKE1, help }
#define WSGID_FLAG(name, fn, data, where, help) \
  command_rec { name, as_cmd_func(static_cast<TakeFlag>(fn)), data, where, FLAG, help }
#define WSGID_DIR(member) slot(offsetof(DirConfig, member))
#define WSGID_GLOBAL(member) slot(offsetof(GlobalConfig, member))

const command_rec kDirectives[] = {
    WSGID_RAW("WSGIDaemonProcess", cmd_daemon_process, nullptr, RSRC_CONF,
              "Declare a daemon process group: NAME [option=value ...]"),
    WSGID_RAW("WSGIScriptAlias", cmd_script_alias, nullptr, RSRC_CONF,
              "Map a URL path to a WSGI script: URL-PATH FILE [option=value ...]"),
    WSGID_RAW("WSGIScriptAliasMatch", cmd_script_alias_match, nullptr, RSRC_CONF,
              "Map a URL regex to a WSGI script: REGEX FILE [option=value ...]"),
    WSGID_RAW("WSGIImportScript", cmd_import_script, nullptr, RSRC_CONF,
              "Load a script when a daemon starts: FILE process-group=NAME application-group=NAME"),
    WSGID_RAW("WSGIHandlerScript", cmd_handler_script, nullptr, ACCESS_CONF | RSRC_CONF,
              "Serve requests of an httpd handler with a script's handle_request: NAME FILE "
              "[process-group=NAME] [application-group=NAME] [pass-authorization=On|Off]"),
    WSGID_RAW("WSGIAccessScript", cmd_hook_script, WSGID_DIR(access_script),
              OR_AUTHCFG | ACCESS_CONF,
              "Python script whose allow_access(environ, host) grants (True) or denies (False) "
              "access: FILE [application-group=NAME]"),
    WSGID_RAW("WSGIAuthUserScript", cmd_hook_script, WSGID_DIR(auth_user_script),
              OR_AUTHCFG | ACCESS_CONF,
              "Python script for AuthBasicProvider/AuthDigestProvider wsgi: check_password() "
              "and get_realm_hash(): FILE [application-group=NAME]"),
    WSGID_RAW("WSGIAuthGroupScript", cmd_hook_script, WSGID_DIR(auth_group_script),
              OR_AUTHCFG | ACCESS_CONF,
              "Python script whose groups_for_user(environ, user) serves Require wsgi-group: "
              "FILE [application-group=NAME]"),
    WSGID_RAW("WSGIDispatchScript", cmd_hook_script, WSGID_DIR(dispatch_script),
              OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
              "Python script whose process_group(), application_group() and callable_object() "
              "may override them per request: FILE [application-group=NAME]"),
    WSGID_TAKE1("WSGIProcessGroup", ap_set_string_slot, WSGID_DIR(process_group),
                ACCESS_CONF | RSRC_CONF, "Daemon process group the application runs in"),
    WSGID_TAKE1("WSGIApplicationGroup", ap_set_string_slot, WSGID_DIR(application_group),
                ACCESS_CONF | RSRC_CONF,
                "Interpreter the application runs in: %{GLOBAL}, %{SERVER}, %{RESOURCE} or a name"),
    WSGID_TAKE1("WSGICallableObject", ap_set_string_slot, WSGID_DIR(callable_object),
                OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
                "Name of the WSGI callable in the script (default: application)"),
    WSGID_FLAG("WSGIPassAuthorization", ap_set_flag_slot, WSGID_DIR(pass_authorization),
               OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
               "Pass the Authorization header to the application: On or Off"),
    WSGID_FLAG("WSGIChunkedRequest", ap_set_flag_slot, WSGID_DIR(chunked_request),
               OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
               "Accept chunked request bodies (read until the end): On or Off"),
    WSGID_FLAG("WSGIErrorOverride", ap_set_flag_slot, WSGID_DIR(error_override),
               OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
               "Replace the application's 4xx/5xx bodies with httpd's ErrorDocument: On or Off"),
    WSGID_FLAG("WSGIScriptReloading", ap_set_flag_slot, WSGID_DIR(script_reloading),
               OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
               "Recycle the daemon when a loaded WSGI script changes: On (default) or Off"),
    WSGID_TAKE1("WSGIMapHEADToGET", cmd_map_head_to_get, nullptr,
                OR_FILEINFO | ACCESS_CONF | RSRC_CONF,
                "Pass HEAD to the application as GET: On, Off or Auto (when output filters "
                "may need the body)"),
    WSGID_FLAG("WSGIRestrictEmbedded", set_global_flag_slot, WSGID_GLOBAL(restrict_embedded),
               RSRC_CONF, "Refuse to run applications in httpd's worker processes: On or Off"),
    WSGID_FLAG("WSGILazyInitialization", set_global_flag_slot, WSGID_GLOBAL(lazy_initialization),
               RSRC_CONF, "Start Python only in processes that run it: On (default) or Off"),
    WSGID_TAKE1("WSGISocketPrefix", cmd_socket_prefix, nullptr, RSRC_CONF,
                "Path prefix of the daemon groups' UNIX sockets"),
    WSGID_TAKE1("WSGIPythonHome", set_global_string_slot, WSGID_GLOBAL(python_home), RSRC_CONF,
                "Python home (prefix or virtualenv) for daemons without python-home"),
    WSGID_TAKE1("WSGIPythonPath", cmd_python_path, nullptr, RSRC_CONF,
                "Extra sys.path entries (colon-separated) for every daemon"),
    WSGID_TAKE1("WSGIPythonWarnings", cmd_python_warnings, nullptr, RSRC_CONF,
                "A Python warning filter for every daemon, as python -W (repeatable)"),
    WSGID_TAKE1("WSGIPythonOptimize", cmd_python_optimize, nullptr, RSRC_CONF,
                "Python optimisation level in daemons: 0, 1 (-O) or 2 (-OO)"),
    WSGID_FLAG("WSGIDontWriteBytecode", set_global_flag_slot, WSGID_GLOBAL(dont_write_bytecode),
               RSRC_CONF, "Do not write .pyc files in daemons: On or Off (default)"),
    WSGID_TAKE1("WSGIPythonHashSeed", cmd_python_hash_seed, nullptr, RSRC_CONF,
                "Hash seed of daemons' Python: random or a number from 0 to 4294967295"),
    WSGID_FLAG("WSGIRestrictStdin", set_global_flag_slot, WSGID_GLOBAL(restrict_stdin), RSRC_CONF,
               "Make any use of sys.stdin an error in daemons: On or Off (default)"),
    WSGID_FLAG("WSGIRestrictStdout", set_global_flag_slot, WSGID_GLOBAL(restrict_stdout), RSRC_CONF,
               "Make any use of sys.stdout an error in daemons: On or Off (default)"),
    command_rec{},
};

}  // namespace wsgid
