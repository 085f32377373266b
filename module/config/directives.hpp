// The directive table: mod_wsgi's names, parsed into config.hpp's records.
#pragma once

#include <httpd.h>
#include <http_config.h>

namespace wsgid {

extern const command_rec kDirectives[];

}  // namespace wsgid
