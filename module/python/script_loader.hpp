// WSGI script files loaded as modules named like mod_wsgi's (`_mod_wsgi_<md5 of path>`), once
// per (interpreter, path), so every application group has its own copy of the app. Each use
// checks the file's mtime so that touching a script recycles the daemon, as in mod_wsgi.
#pragma once

#include <string>

#include "py_ref.hpp"

namespace wsgid::python {

struct LoadFailure {
  std::string code;     // WSGID05xx
  std::string message;  // what, where, how to fix; the traceback (if any) follows on new lines
};

// In the current interpreter, with the GIL. On failure returns null and fills `failure`
// (the Python error is cleared). With `check_modified` false (WSGIScriptReloading Off) an
// already loaded script is used as it is, whatever happened to its file.
PyRef load_script(const std::string& path, LoadFailure& failure, bool check_modified = true);
PyRef load_callable(const std::string& path, const std::string& callable, LoadFailure& failure,
                    bool check_modified = true);

// True once, with the path, after a loaded script's file changed on disk (its mtime): the
// daemon then recycles, as mod_wsgi's daemon mode does when a WSGI script is touched.
bool take_modified_script(std::string& path);

// WSGIHandlerScript: when the handler script defines reload_required(resource), calls it with
// the mapped file's path and returns whether it answered true. A script that fails to load
// counts as false (the request then reports the failure); a reload_required() that raises
// counts as false too, with its traceback in `error`.
bool handler_reload_required(const std::string& script, const std::string& resource,
                             bool check_modified, std::string& error);

// Embedded mode (no process of its own to recycle): a loaded script whose file changed is run
// again in place on its next use, as mod_wsgi's embedded mode does, instead of being reported
// by take_modified_script.
void reload_changed_scripts_in_place(bool on);

// Drops this interpreter's copy of a loaded script, so its next use runs the file again.
void forget_script(const std::string& path);

}  // namespace wsgid::python
