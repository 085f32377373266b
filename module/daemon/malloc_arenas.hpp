// One malloc arena for a daemon's threads (malloc_arenas.cpp says why). Called in the daemon
// before Python starts a thread: by a forked daemon, or by wsgid-daemon after the exec.
#pragma once

namespace wsgid {

void limit_malloc_arenas();

}  // namespace wsgid
