// Configuration records of mod_wsgid: what the directives build, per server, per directory
// and per generation of the httpd configuration.
#pragma once

#include <httpd.h>
#include <http_config.h>
#include <apr_tables.h>

#include <sys/types.h>

#include "daemon_options.hpp"
#include "python_abi.h"
#include "scoreboard.h"
#include "parent/group_credential.hpp"

namespace wsgid {

inline constexpr int kUnset = -1;

// One WSGIDaemonProcess: its options (daemon_options.hpp, mod_wsgi's names and defaults) and
// what the parent adds to them.
struct DaemonGroup : DaemonOptions {
  const char* name = nullptr;
  server_rec* server = nullptr;      // the server or VirtualHost that declared it
  const char* defined_in = nullptr;  // "file:line", for messages
  // Scripts loaded at daemon start: WSGIImportScript first, then preloaded applications.
  apr_array_header_t* imports = nullptr;   // wsgid_preload
  apr_array_header_t* preloads = nullptr;  // wsgid_preload
  // settings-file= (daemon_settings.hpp): options that only the daemon process reads, kept
  // outside httpd.conf so a change needs no httpd restart. The parent re-reads the file before
  // each fork when it changed; `settings_base` is the group as its directive line alone left it.
  const DaemonGroup* settings_base = nullptr;
  apr_pool_t* settings_pool = nullptr;  // holds the strings the file's current settings use
  struct FileStamp {
    dev_t device = 0;
    ino_t inode = 0;
    long long modified_ns = 0;
    off_t size = -1;
    bool operator==(const FileStamp&) const = default;
  } settings_stamp;
  // Set in post_config.
  const char* socket_path = nullptr;
  int listen_fd = -1;
  const GroupCredential* credential = nullptr;  // kept with the socket, never in a file
  pid_t listener_pid = 0;                       // the process that listens on socket_path
  wsgid_group_slot* slot = nullptr;  // in the shared scoreboard; nullptr if none was free
};

// One WSGIScriptAlias or WSGIScriptAliasMatch.
struct ScriptAlias {
  const char* location = nullptr;     // URL prefix, or the regex source for Match
  const char* application = nullptr;  // script path (may hold $N for Match)
  ap_regex_t* regex = nullptr;
  const char* process_group = nullptr;
  const char* application_group = nullptr;
  const char* callable_object = nullptr;
  int pass_authorization = kUnset;
};

// One WSGIHandlerScript: requests whose handler is `name` are served by the script's
// handle_request, with the mapped file as SCRIPT_FILENAME.
struct HandlerScript {
  const char* name = nullptr;
  const char* script = nullptr;  // absolute path
  const char* process_group = nullptr;
  const char* application_group = nullptr;
  int pass_authorization = kUnset;
};

// One WSGIAccessScript, WSGIAuthUserScript, WSGIAuthGroupScript or WSGIDispatchScript: a
// Python script run in the worker child (embedded), whatever WSGIRestrictEmbedded says.
struct HookScript {
  const char* script = nullptr;             // absolute path
  const char* application_group = nullptr;  // nullptr: %{GLOBAL}, as in mod_wsgi
  // A daemon process group to run the hook in (its uid and sandbox) instead of the worker's
  // in-process daemon; nullptr: the worker, as in mod_wsgi.
  const char* process_group = nullptr;
};

struct ServerConfig {
  apr_array_header_t* aliases = nullptr;  // ScriptAlias
};

enum class MapHeadToGet { kUnset = kUnset, kOff = 0, kOn = 1, kAuto = 2 };

struct DirConfig {
  const char* process_group = nullptr;
  const char* application_group = nullptr;
  const char* callable_object = nullptr;
  int pass_authorization = kUnset;
  int chunked_request = kUnset;  // WSGIChunkedRequest
  int error_override = kUnset;   // WSGIErrorOverride
  MapHeadToGet map_head_to_get = MapHeadToGet::kUnset;
  int script_reloading = kUnset;                  // WSGIScriptReloading (default On)
  apr_array_header_t* handler_scripts = nullptr;  // HandlerScript; nullptr: none here
  const HookScript* access_script = nullptr;      // WSGIAccessScript
  const HookScript* auth_user_script = nullptr;   // WSGIAuthUserScript
  const HookScript* auth_group_script = nullptr;  // WSGIAuthGroupScript
  const HookScript* dispatch_script = nullptr;    // WSGIDispatchScript
};

// Server-scope settings and the daemon groups of the configuration being read. httpd reloads
// the module on every restart, so this lives exactly one configuration generation.
struct GlobalConfig {
  apr_pool_t* pool = nullptr;
  apr_array_header_t* groups = nullptr;  // DaemonGroup*
  int restrict_embedded = kUnset;
  // Embedded mode's preloads (process-group=%{GLOBAL}), run when each worker child starts:
  // WSGIImportScript first, then WSGIScriptAlias scripts with a literal application group.
  apr_array_header_t* embedded_preloads = nullptr;  // wsgid_preload
  int lazy_initialization = kUnset;
  const char* socket_prefix = nullptr;
  const char* python_home = nullptr;
  apr_array_header_t* python_path = nullptr;  // const char*
  // Python start-up settings applied in every daemon (kUnset: Python's default).
  apr_array_header_t* python_warnings = nullptr;  // const char*, WSGIPythonWarnings
  int python_optimize = kUnset;
  int dont_write_bytecode = kUnset;
  int use_hash_seed = kUnset;  // 0: random, 1: hash_seed
  unsigned long hash_seed = 0;
  int restrict_stdin = kUnset;
  int restrict_stdout = kUnset;
};

GlobalConfig& global_config();
void reset_global_config(apr_pool_t* pconf);
DaemonGroup* find_group(const char* name);
// A group is usable from `s` when declared in `s` itself, at server scope, or in a VirtualHost
// with the same ServerName as `s`.
bool group_visible_from(const DaemonGroup& g, const server_rec* s);

void* create_server_config(apr_pool_t* p, server_rec* s);
void* merge_server_config(apr_pool_t* p, void* base, void* add);
void* create_dir_config(apr_pool_t* p, char* dir);
void* merge_dir_config(apr_pool_t* p, void* base, void* add);

}  // namespace wsgid

extern "C" {
// The one symbol httpd looks up; everything else stays hidden.
extern __attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA wsgid_module;
}
