// Renames the current process as `ps` shows it (display-name=), by overwriting httpd's argv
// area as mod_wsgi does, and the kernel's 15-character comm name.
#pragma once

#include <httpd.h>

namespace wsgid {

void set_process_title(process_rec* process, const char* title);

}  // namespace wsgid
