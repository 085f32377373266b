// Event MPM sizing derived from the daemon groups and the slow-client reserve.
#pragma once

#include "profile/model.hpp"

namespace wsgid::render {

struct Capacity {
  int threads_per_child = 0;
  int children = 0;  // serving at once: MaxRequestWorkers / ThreadsPerChild
  // Scoreboard slots: twice the children, so a graceful restart's new generation starts at
  // once beside the old one finishing its requests.
  int server_limit = 0;
  int max_request_workers = 0;
  // mod_http2's threads kept per child when idle (H2MinWorkers); more start on demand up to
  // threads_per_child (H2MaxWorkers) and end after idling. Its default keeps one per MPM
  // thread, hundreds of idle threads in every child.
  int h2_min_workers = 0;
};

// Each in-flight WSGI request holds a worker thread while it waits on a daemon, and the event
// MPM closes every keep-alive connection of a child whose threads are all busy. So a child is
// made big enough for the whole WSGI working set (twice the daemons' threads, at least 50, and
// at least 256): the load the daemons can absorb never fills one child, however the connections
// fall. Each slow
// client holds a thread until its request is read (httpd 2.4 reads headers in a worker), so
// `slow_clients` more threads, in more children of that size, keep requests answered while
// that many connections trickle.
Capacity derive_capacity(const profile::Profile& profile);

}  // namespace wsgid::render
