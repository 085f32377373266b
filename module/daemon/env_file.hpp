// A daemon group's env-file=: the site's environment variables, read by each daemon before it
// drops privileges (so the file can be 0600 root) and set in the process environment before
// Python starts, so os.environ holds them from the first import.
#pragma once

#include <sys/types.h>

#include <string>

namespace wsgid {

// Reads `path` (NUL-terminated NAME=VALUE records) and setenv()s each record. Refuses a file
// that is not a regular file, not owned by `owner` (the httpd parent's euid), or that grants
// any permission to its group or others. On failure returns the code to log and fills `error`;
// no message ever contains a value. Returns nullptr on success.
const char* apply_env_file(const char* path, uid_t owner, std::string& error);

}  // namespace wsgid
