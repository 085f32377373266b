// server.trusted_proxies: which peers may say who the client is (X-Forwarded-For) and how it
// connected (X-Forwarded-Proto). Rendered once at server scope, so every vhost (the catch-all
// and its health endpoints too) sees the same client address.
#pragma once

#include "conf_writer.hpp"
#include "profile/model.hpp"

namespace wsgid::render {

// Nothing when the profile trusts no proxy: then the headers reach apps as sent.
void trusted_proxies(ConfWriter& w, const profile::Server& server);

}  // namespace wsgid::render
