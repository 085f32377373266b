// PEP 3333 on top of one worker connection: builds the environ from the RequestHead pairs,
// calls the application with start_response (exc_info rules, write()), validates what it
// returns, streams the body out as frames and ALWAYS calls the iterable's close().
#pragma once

#include <string>

#include "connection.hpp"
#include "wire_protocol.hpp"

namespace wsgid::python {

struct GroupSettings {
  bool multithread = false;
  bool multiprocess = false;
  bool run_once = false;
};

// Which application a request is for, from the pairs the worker sent.
struct RequestTarget {
  std::string script;             // SCRIPT_FILENAME
  std::string application_group;  // mod_wsgi.application_group, "" = main interpreter
  std::string callable;           // mod_wsgi.callable_object, default "application"
  std::string client;             // "REMOTE_ADDR:REMOTE_PORT" for log lines
  bool script_reloading = true;   // mod_wsgi.script_reloading: "0" is WSGIScriptReloading Off
  // WSGIHandlerScript: `script` is the handler script and `resource` the mapped file.
  std::string resource;  // SCRIPT_FILENAME when mod_wsgi.handler_script is present
  bool handler_script = false;
};
RequestTarget request_target(const wire::Pairs& head);

// Runs one request; needs the GIL in the target's interpreter. Never throws. Returns false
// when the connection must be dropped without a complete response (already logged).
bool run_wsgi_request(Connection& conn, const wire::Pairs& head, const RequestTarget& target,
                      const GroupSettings& settings);

// A complete 500 response written without Python (e.g. the interpreter could not be made).
void send_internal_error(Connection& conn);

// Once, with the GIL, at start-up.
bool adapter_types_ready();

}  // namespace wsgid::python
