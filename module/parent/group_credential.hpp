// A daemon group's connection secret, and the Hello frame that proves it. The httpd parent
// makes one with each group's socket and keeps it as long as the socket (the registry in
// daemon_lifecycle.cpp, across graceful restarts), in memory only: worker children inherit
// every group's, a group's daemons only their own (the rest is wiped after fork). See
// docs/security.md, "Daemon connections".
#pragma once

#include <httpd.h>
#include <sys/types.h>

#include "wire_protocol.hpp"

namespace wsgid {

struct GroupCredential {
  unsigned char secret[wire::kSecretSize];
  unsigned char hello[wire::kHelloFrameSize];  // the whole frame, sent as is
};

// Fills `c` with fresh random bytes from the kernel (getrandom). False with errno set.
bool make_credential(GroupCredential& c);
void wipe_credential(GroupCredential& c);

// After connect(): whether the socket `fd` reached was listened on by `expected`, the process
// that created the group's socket (httpd's parent, or this worker for embedded mode). A process
// that replaced the socket file with its own would otherwise be sent the group's secret.
// Logs WSGID0150 against `r` and returns false when it was not.
bool listener_is_expected(request_rec* r, int fd, const char* group, const char* path,
                          pid_t expected);

}  // namespace wsgid
