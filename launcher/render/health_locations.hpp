// The module's health endpoints as <Location>s. Rendered into every VirtualHost, the catch-all
// included, so probes that send the pod's IP address as Host (Kubernetes) are answered too.
#pragma once

#include "conf_writer.hpp"
#include "profile/model.hpp"

namespace wsgid::render {

// After any <Location> that denies: a later <Location>'s Require replaces an earlier one's.
void health_locations(ConfWriter& w, const profile::Health& health);

}  // namespace wsgid::render
