#include "malloc_arenas.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace wsgid {

// glibc gives each thread that allocates while another holds its arena a new malloc arena, up
// to 8 per core, and an arena keeps much of what its thread freed. After a burst of large
// requests each of a daemon's request threads held 1.3-1.9 MiB that way (one 64 MiB-aligned
// mapping per thread in /proc/PID/smaps): 10-15 MiB per daemon. With one arena shared by all
// threads, freed memory is reused by whichever thread allocates next and the heap's top is
// trimmed: 1-3 MiB (two arenas: 3-6 MiB; tests/integration/test_daemon_memory.py). The GIL
// serialises most of a daemon's allocation anyway, glibc's per-thread cache serves small blocks
// without the lock, and throughput did not change measurably (docs/memory.md). Set before
// Python starts any thread; an explicit MALLOC_ARENA_MAX or glibc.malloc.arena_max tunable wins.
namespace {
constexpr int kDaemonMallocArenas = 1;
}  // namespace

void limit_malloc_arenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.arena_max") != nullptr) return;
  mallopt(M_ARENA_MAX, kDaemonMallocArenas);
}

}  // namespace wsgid
