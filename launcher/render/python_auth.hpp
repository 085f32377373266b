// site.python_auth: mod_wsgi's Python auth hooks (check_password, groups_for_user,
// allow_access), named in the profile as "package.module:function". A generated script
// (sites/NAME.auth.py, 0600, readable by the site's daemons only) imports each function under
// the name mod_wsgid calls, and the hook directives run it in the site's own daemon process
// group (process-group=): under the site's uid, seccomp filter and Landlock scope, with the
// app's Python path and interpreter, never in httpd's workers, which hold every site's secrets.
#pragma once

#include <filesystem>
#include <string>

#include "conf_writer.hpp"
#include "profile/model.hpp"

namespace wsgid::render {

std::filesystem::path python_auth_script_file(const profile::Site& site);  // relative to out
std::string python_auth_script(const profile::PythonAuth& auth);

// The <Location>s of python_auth.paths; after the site's WSGIDaemonProcess, which they name.
void python_auth_locations(ConfWriter& w, const profile::Site& site,
                           const std::filesystem::path& script);

}  // namespace wsgid::render
