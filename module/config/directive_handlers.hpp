// The handlers directives.cpp's table points at, grouped by concept: the daemon group
// (daemon_process_directive.cpp), scripts and their URLs (script_directives.cpp), server-scope
// Python settings (server_directives.cpp). Plain per-directory flags and strings need none:
// httpd's ap_set_flag_slot and ap_set_string_slot store them.
#pragma once

#include <httpd.h>
#include <http_config.h>

namespace wsgid {

const char* cmd_daemon_process(cmd_parms* cmd, void* mconfig, const char* args);

const char* cmd_script_alias(cmd_parms* cmd, void* mconfig, const char* args);
const char* cmd_script_alias_match(cmd_parms* cmd, void* mconfig, const char* args);
const char* cmd_import_script(cmd_parms* cmd, void* mconfig, const char* args);
const char* cmd_handler_script(cmd_parms* cmd, void* mconfig, const char* args);
// cmd->info: the offset of the DirConfig member the hook script goes into.
const char* cmd_hook_script(cmd_parms* cmd, void* mconfig, const char* args);
const char* cmd_map_head_to_get(cmd_parms* cmd, void* mconfig, const char* value);

// ap_set_flag_slot and ap_set_string_slot for GlobalConfig (server scope only): cmd->info is the
// member's offset.
const char* set_global_flag_slot(cmd_parms* cmd, void* mconfig, int on);
const char* set_global_string_slot(cmd_parms* cmd, void* mconfig, const char* value);
const char* cmd_socket_prefix(cmd_parms* cmd, void* mconfig, const char* value);
const char* cmd_python_path(cmd_parms* cmd, void* mconfig, const char* value);
const char* cmd_python_warnings(cmd_parms* cmd, void* mconfig, const char* value);
const char* cmd_python_optimize(cmd_parms* cmd, void* mconfig, const char* value);
const char* cmd_python_hash_seed(cmd_parms* cmd, void* mconfig, const char* value);

}  // namespace wsgid
