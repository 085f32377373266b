// Replacing a file so that a reader sees either the old content or all of the new: written to
// a temporary file beside it, then renamed over it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace wsgid {

struct FileOwner {
  uid_t uid = static_cast<uid_t>(-1);  // -1: leave as created (this process's own)
  gid_t gid = static_cast<gid_t>(-1);
};

// What failed: `error` is the errno value (0: nothing failed), `step` one of "create",
// "chown", "chmod", "write", "rename".
struct WriteFailure {
  int error = 0;
  std::string_view step;
  explicit operator bool() const { return error != 0; }
};

// Writes `content` to `path`. The temporary file is created 0600 and given its owner and `mode`
// before a byte is written, so no one else ever sees the content through a wider mode; on
// failure it is removed and `path` is left as it was.
WriteFailure write_file_atomically(const std::string& path, std::string_view content, mode_t mode,
                                   FileOwner owner = {});

}  // namespace wsgid
