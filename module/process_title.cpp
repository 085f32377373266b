#include "process_title.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <cstring>

namespace wsgid {

void set_process_title(process_rec* process, const char* title) {
  if (!title || !process || process->argc < 1 || !process->argv[0]) return;
  // argv strings sit back to back; only overwrite the span they really occupy.
  char* start = const_cast<char*>(process->argv[0]);
  char* end = start + std::strlen(start);
  for (int i = 1; i < process->argc; ++i) {
    if (process->argv[i] != end + 1) break;
    end = const_cast<char*>(process->argv[i]) + std::strlen(process->argv[i]);
  }
  const std::size_t room = static_cast<std::size_t>(end - start);
  const std::size_t n = std::min(room, std::strlen(title));
  std::memcpy(start, title, n);
  std::memset(start + n, 0, room - n + 1);
  prctl(PR_SET_NAME, title, 0, 0, 0);
}

}  // namespace wsgid
