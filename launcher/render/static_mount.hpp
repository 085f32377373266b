// A site's static directory as httpd serves it: validators, caching headers and precompressed
// siblings, without Python.
#pragma once

#include "conf_writer.hpp"
#include "profile/model.hpp"

namespace wsgid::render {

// Written inside the site's <VirtualHost>. Needs mod_alias, mod_mime, mod_headers and
// mod_rewrite (httpd_conf.cpp loads them when any site has a static mount).
void static_mount(ConfWriter& w, const profile::StaticMount& mount);

}  // namespace wsgid::render
