// Reads a descriptor to its end (EINTR retried): /proc files that change as they are read, the
// daemon's spec memfd. Shared by mod_wsgid.so and wsgid-daemon.
#pragma once

#include <string>

namespace wsgid {

// Appends everything up to end of file to `out`; 0, or the errno of the read that failed.
int read_all(int fd, std::string& out);

}  // namespace wsgid
