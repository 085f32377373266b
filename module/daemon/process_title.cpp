#include "process_title.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <cstring>

namespace wsgid {

void set_process_title(process_rec* process, const char* title) {
  if (!title || !process || process->argc < 1 || !process->argv[0]) return;
  // The kernel shows the original argv block, which holds argv[0..argc) back to back. httpd
  // may keep copies of the later strings, so measure the block by their lengths, not addresses.
  char* start = const_cast<char*>(process->argv[0]);
  char* end = start + std::strlen(start);
  for (int i = 1; i < process->argc && process->argv[i]; ++i)
    end += std::strlen(process->argv[i]) + 1;
  const std::size_t room = static_cast<std::size_t>(end - start);
  const std::size_t n = std::min(room, std::strlen(title));
  std::memcpy(start, title, n);
  std::memset(start + n, 0, room - n + 1);
  prctl(PR_SET_NAME, title, 0, 0, 0);
}

}  // namespace wsgid
