// Python's logging in the error log at each record's own level: a logging.Handler subclass in
// every interpreter that writes records as error-log lines (DEBUG->debug, INFO->info,
// WARNING->warn, ERROR->error, CRITICAL->crit), filtered by httpd's LogLevel. It is created
// when the application first imports logging (a daemon whose app never logs does not load
// logging at all) and is logging.lastResort from then on; it joins the root logger after a
// WSGI script loads only if the script left the root logger without handlers: an app that
// configures logging keeps its own configuration.
#pragma once

#include <string>

namespace wsgid::python {

// In the current interpreter, with the GIL, after the log level is known: installs the import
// hook (or the handler, if logging is already imported). Returns false with `error` filled
// (the Python error cleared) on failure.
bool install_logging_handler(std::string& error);

// In the current interpreter, with the GIL, after a WSGI script or import script ran: adds the
// handler to a root logger that has none, and lowers the root logger's level from the default
// WARNING to httpd's LogLevel so an app's info/debug records reach it. Never raises.
void attach_logging_handler_to_root();

}  // namespace wsgid::python
