#include "inherited_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "read_all.hpp"
#include "unique_fd.hpp"

namespace wsgid {
namespace {

struct Range {
  std::uintptr_t lo;
  std::uintptr_t hi;
};

// The whole file first: unmapping while reading it would change what is left to read.
bool read_maps(std::string& out, std::string& error) {
  const UniqueFd fd(::open("/proc/self/maps", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    error = std::string("cannot open /proc/self/maps: ") + std::strerror(errno);
    return false;
  }
  if (const int e = read_all(fd.get(), out); e != 0) {
    error = std::string("cannot read /proc/self/maps: ") + std::strerror(e);
    return false;
  }
  return true;
}

// The next whitespace-separated field of `line`, consumed.
std::string_view field(std::string_view& line) {
  const std::size_t start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  const std::size_t end = std::min(line.find(' '), line.size());
  const std::string_view f = line.substr(0, end);
  line.remove_prefix(end);
  return f;
}

bool parse_range(std::string_view text, Range& r) {
  const std::size_t dash = text.find('-');
  if (dash == std::string_view::npos) return false;
  const std::string lo(text.substr(0, dash));
  const std::string hi(text.substr(dash + 1));
  char* end = nullptr;
  r.lo = std::strtoull(lo.c_str(), &end, 16);
  if (*end != '\0') return false;
  r.hi = std::strtoull(hi.c_str(), &end, 16);
  return *end == '\0' && r.hi > r.lo;
}

}  // namespace

bool is_inherited_shared_memory(std::string_view permissions, std::string_view path) {
  if (permissions.size() < 4 || permissions[3] != 's') return false;
  if (permissions[1] == 'w') return true;
  // Read-only, but anonymous or reachable by no path: such memory can be made writable again
  // (mprotect) and is nobody's file on disk.
  return path.empty() || path[0] != '/' || path.ends_with(" (deleted)") ||
         path.starts_with("/SYSV") || path.starts_with("/memfd:") ||
         path.starts_with("/dev/shm/") || path.starts_with("/dev/zero");
}

MemoryRelease release_inherited_shared_memory(const void* keep, std::size_t keep_length) {
  MemoryRelease result;
  std::string maps;
  if (!read_maps(maps, result.error)) return result;
  result.maps_read = true;
  const auto keep_lo = reinterpret_cast<std::uintptr_t>(keep);
  const std::uintptr_t keep_hi = keep ? keep_lo + keep_length : 0;
  std::vector<Range> doomed;
  std::string_view rest = maps;
  while (!rest.empty()) {
    const std::size_t eol = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(std::min(eol + 1, rest.size()));
    Range r{};
    if (!parse_range(field(line), r)) continue;
    const std::string_view permissions = field(line);
    field(line);  // offset
    field(line);  // device
    field(line);  // inode
    const std::size_t start = line.find_first_not_of(' ');
    const std::string_view path = start == std::string_view::npos ? "" : line.substr(start);
    if (!is_inherited_shared_memory(permissions, path)) continue;
    if (keep_hi > keep_lo && keep_lo < r.hi && keep_hi > r.lo) {
      // Only what lies around the kept range goes.
      if (r.lo < keep_lo) doomed.push_back({r.lo, keep_lo});
      if (keep_hi < r.hi) doomed.push_back({keep_hi, r.hi});
    } else {
      doomed.push_back(r);
    }
  }
  for (const Range& r : doomed) {
    if (::munmap(reinterpret_cast<void*>(r.lo), r.hi - r.lo) == 0) {
      ++result.released;
      result.bytes += r.hi - r.lo;
    } else if (result.error.empty()) {
      result.error = std::string("munmap: ") + std::strerror(errno);
    }
  }
  return result;
}

}  // namespace wsgid
