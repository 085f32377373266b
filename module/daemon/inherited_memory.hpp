// The shared memory a daemon inherits from httpd's parent by fork, and what it keeps of it.
//
// A forked daemon starts with every mapping of the parent, including the shared ones that other
// processes write and read at the same time: httpd's scoreboard (worker pids and states the
// parent acts on), mod_ssl's session cache (every site's TLS session secrets), other modules'
// shared memory, and wsgid's own scoreboard, where workers decide from each group's slot whether
// that group can serve. An application reaches all of it by address, with no system call a
// sandbox could refuse. So before anything of the application runs, the daemon unmaps them all
// except its own group's scoreboard slot; once unmapped there is no descriptor or path left to
// map them again.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace wsgid {

struct MemoryRelease {
  bool maps_read = false;  // /proc/self/maps could be read (else nothing was released)
  int released = 0;        // mappings (or parts of one) unmapped
  std::size_t bytes = 0;
  std::string error;  // why the sweep failed, when it did
};

// Whether a line of /proc/PID/maps (its permissions and path fields) is memory another process
// may write while this one reads it, or that this one could make writable: shared and writable,
// or shared and not a plain file on disk (anonymous shared memory, System V segments, memfds,
// /dev/shm, deleted files). A read-only view of a file (glibc's gconv cache) stays.
bool is_inherited_shared_memory(std::string_view permissions, std::string_view path);

// Unmaps every such mapping of this process, except the bytes [keep, keep + keep_length) (a
// page-aligned range, or none when keep is null). Called in a freshly forked daemon, before
// Python.
MemoryRelease release_inherited_shared_memory(const void* keep, std::size_t keep_length);

}  // namespace wsgid
