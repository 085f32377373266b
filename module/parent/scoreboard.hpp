// The httpd side of the shared scoreboard (contract/scoreboard.h): created once by the httpd
// parent, inherited by every worker child and daemon process.
#pragma once

#include <httpd.h>

#include "scoreboard.h"

namespace wsgid {

// The parent's scoreboard, mapped on first use and kept for httpd's whole life (it lives in the
// process pool's registry, so counters survive graceful restarts and daemon deaths).
wsgid_scoreboard* scoreboard(process_rec* process);

// The memfd the scoreboard is mapped from (close-on-exec), or -1 when there is none. A daemon
// that execs wsgid-daemon passes it on, and the helper maps only its group's slot from it.
int scoreboard_fd(process_rec* process);

// The slot of the group called `name`, claimed if the group is new; nullptr when all are taken.
wsgid_group_slot* claim_group_slot(wsgid_scoreboard* board, const char* name);

// A free process slot of the group, marked STARTING; nullptr when all are in use.
wsgid_process_slot* claim_process_slot(wsgid_group_slot* group, int threads);

// Records why the process in `slot` ended (its own exit reason, or a crash, or a failed start)
// and frees the slot.
void release_process_slot(wsgid_group_slot* group, wsgid_process_slot* slot, int exit_status);

template <typename T>
T load(const T& v) {
  return __atomic_load_n(&v, __ATOMIC_RELAXED);
}

template <typename T, typename U>
void store(T& v, U value) {
  __atomic_store_n(&v, static_cast<T>(value), __ATOMIC_RELAXED);
}

template <typename T, typename U>
void add(T& v, U value) {
  __atomic_fetch_add(&v, static_cast<T>(value), __ATOMIC_RELAXED);
}

}  // namespace wsgid
