// Event MPM sizing derived from the daemon groups, so workers neither starve the daemons
// nor sit idle by the hundred.
#pragma once

#include "profile/model.hpp"

namespace wsgid::render {

struct Capacity {
  int threads_per_child = 0;
  int server_limit = 0;
  int max_request_workers = 0;
};

// Each in-flight WSGI request holds one worker thread while it waits on a daemon; static files
// and slow clients need more. So: twice the daemons' total threads, at least 50, in whole
// children of 25 threads (MaxRequestWorkers must be a multiple of ThreadsPerChild).
Capacity derive_capacity(const profile::Profile& profile);

}  // namespace wsgid::render
