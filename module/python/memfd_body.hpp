// Large response body chunks as sealed memfds. A chunk sent as body frames is copied three
// times: into the daemon socket, out of it into the worker's bucket memory, and into TCP. Copied
// once into a fresh memfd and passed as a ResponseFile frame (SCM_RIGHTS), it is copied twice:
// into the memfd here, and into TCP by the worker's httpd (sendfile, or a read-only mmap), which
// already treats ResponseFile frames as file buckets.
//
// The memfd is sealed against every change before it leaves, so the bytes the worker sends are
// the bytes the application returned; it is never reused (the worker holds it until its request
// ends). Anything that fails here (memfd_create denied by seccomp, ENOSYS on an old kernel,
// ENOMEM, EMFILE) only means the chunk goes out as body frames: the caller falls back.
#pragma once

#include <cstddef>
#include <string_view>

#include "unique_fd.hpp"

namespace wsgid::python {

// Chunks of at least this many bytes are worth a memfd (measured: docs/performance.md, fourth
// round). Below it, creating, sealing and passing a descriptor costs more than the copies saved.
inline constexpr std::size_t kMemfdBodyMinBytes = 256 * 1024;

// At most this much of one response goes out as memfds; the rest as body frames. The worker
// keeps each memfd (and its pages) open until its request ends, and httpd does not count file
// buckets as buffered output, so a response streamed to a slow client as memfds would pile up in
// the worker without limit; body frames are held back by the socket instead.
inline constexpr std::size_t kMemfdBodyBudgetBytes = 8 * 1024 * 1024;

// Whether memfds may still work in this process: false once memfd_create or sealing failed in a
// way that will not change (ENOSYS, EPERM from a seccomp filter, EINVAL).
bool memfd_body_available();

// A new memfd holding exactly `data`, sealed against writes, shrinking, growing and further
// seals, with its offset at 0. Invalid (get() < 0) on any failure, with nothing left open; the
// first failure of each kind is logged once per process (WSGID0540, info). Safe to call without
// the GIL: it touches no Python object.
UniqueFd sealed_memfd_copy(std::string_view data);

}  // namespace wsgid::python
