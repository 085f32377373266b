// The directive table: mod_wsgi's names, parsed into config.hpp's records.
#pragma once

#include <httpd.h>
#include <http_config.h>

#include "config.hpp"

namespace wsgid {

extern const command_rec kDirectives[];

// Applies one WSGIDaemonProcess option to `g`; nullptr, or the coded message (naming the
// directive, option, value and what is accepted) allocated from cmd->pool. Also the entry point
// for each record of a group's settings-file (daemon_settings.hpp).
const char* set_daemon_option(cmd_parms* cmd, DaemonGroup& g, const char* name, const char* value);

}  // namespace wsgid
