// settings-file=: a daemon group's options that only its daemon processes read (threads,
// maximum-requests, the timeouts and limits the daemon applies, python-path, ...), as
// NUL-terminated option=value records in a 0600 file outside httpd.conf. The parent applies them
// when it reads the configuration and again before each fork when the file has changed, so
// `wsgid run` changes them by rewriting the file and recycling the daemons, with no httpd
// restart. Options that httpd's parent or workers read (processes, user, group, socket paths,
// connect-timeout, socket-timeout, ...) are refused in the file: they need a restart.
#pragma once

#include <httpd.h>
#include <http_config.h>

#include <string_view>

#include "config.hpp"

namespace wsgid {

// Whether `option` may be given in a settings-file (read by the daemon process only).
bool settings_file_may_hold(std::string_view option);

// While the WSGIDaemonProcess line is parsed, after its own options: keeps the group as the line
// left it and applies the file on top. nullptr (also without settings-file=), or the directive's
// coded error (WSGID0615-0617).
const char* load_daemon_settings(cmd_parms* cmd, DaemonGroup& g);

// In the parent, before it forks one of the group's daemons: re-applies the file if it changed
// since it was last applied (logged, WSGID0618). A file that cannot be read or holds a bad
// record is logged with its code and the group keeps its settings.
void refresh_daemon_settings(DaemonGroup& g);

}  // namespace wsgid
