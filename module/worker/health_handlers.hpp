// Liveness, readiness and metrics, answered by httpd's workers from the shared scoreboard:
// no Python, no daemon round trip, so they answer while every daemon thread is busy.
// Enabled with SetHandler wsgid-health | wsgid-ready | wsgid-metrics in a <Location>.
#pragma once

#include <httpd.h>

namespace wsgid {

int handle_health_request(request_rec* r);

}  // namespace wsgid
