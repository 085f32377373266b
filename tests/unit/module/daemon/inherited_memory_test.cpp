// What a freshly forked daemon unmaps of the shared memory it inherited (inherited_memory.hpp):
// real mappings of each kind, made in a forked child and then looked for in /proc/self/maps
// after the sweep.
#include "daemon/inherited_memory.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "forked_child.hpp"

namespace wsgid {
namespace {

using testing::run_in_child;

// Whether any mapping in /proc/self/maps overlaps [p, p + n).
bool mapped(const void* p, std::size_t n) {
  std::ifstream in("/proc/self/maps");
  const auto lo = reinterpret_cast<std::uintptr_t>(p);
  std::string line;
  while (std::getline(in, line)) {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    std::istringstream fields(line);
    fields >> std::hex >> start >> dash >> end;
    if (start < lo + n && end > lo) return true;
  }
  return false;
}

void* map(std::size_t n, int prot, int flags, int fd = -1) {
  void* p = mmap(nullptr, n, prot, flags, fd, 0);
  return p == MAP_FAILED ? nullptr : p;
}

TEST(InheritedMemory, SharedMemoryOthersCanWriteIsSharedMemoryToRelease) {
  EXPECT_TRUE(is_inherited_shared_memory("rw-s", "/dev/zero (deleted)"));
  EXPECT_TRUE(is_inherited_shared_memory("rw-s", "/SYSV00000000 (deleted)"));
  EXPECT_TRUE(is_inherited_shared_memory("rw-s", "/srv/site/cache.db"));
  EXPECT_TRUE(is_inherited_shared_memory("r--s", "/dev/zero (deleted)"));  // mprotect-able
  EXPECT_TRUE(is_inherited_shared_memory("r--s", "/memfd:ring (deleted)"));
  EXPECT_TRUE(is_inherited_shared_memory("r--s", "/dev/shm/apr.1234"));
  EXPECT_TRUE(is_inherited_shared_memory("r--s", ""));
  // Private memory is this process's own copy; a read-only view of a file is that file.
  EXPECT_FALSE(is_inherited_shared_memory("rw-p", ""));
  EXPECT_FALSE(is_inherited_shared_memory("rw-p", "[heap]"));
  EXPECT_FALSE(
      is_inherited_shared_memory("r--s", "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache"));
  EXPECT_FALSE(is_inherited_shared_memory("r-xp", "/usr/lib/libc.so.6"));
}

TEST(InheritedMemory, KeepsOnlyTheGivenRangeOfSharedMemory) {
  const auto outcome = run_in_child([](int) -> std::string {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    // Three pages of anonymous shared memory (a scoreboard), of which the middle one is ours.
    auto* board =
        static_cast<char*>(map(3 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS));
    auto* other = map(page, PROT_READ, MAP_SHARED | MAP_ANONYMOUS);
    auto* mine = map(page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    const int memfd = memfd_create("inherited", MFD_CLOEXEC);
    if (!board || !other || !mine || memfd < 0 || ftruncate(memfd, static_cast<off_t>(page)) != 0)
      return "setting up the mappings failed";
    void* shm = map(page, PROT_READ | PROT_WRITE, MAP_SHARED, memfd);
    const int file = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
    void* view = file >= 0 ? map(1, PROT_READ, MAP_SHARED, file) : nullptr;
    if (!shm || !view) return "mapping the memfd or the file failed";
    board[page] = 'x';

    const MemoryRelease r = release_inherited_shared_memory(board + page, page);
    if (!r.maps_read || !r.error.empty()) return "sweep failed: " + r.error;
    std::string wrong;
    if (mapped(board, page)) wrong += " the first page of the board stayed;";
    if (!mapped(board + page, page) || board[page] != 'x') wrong += " the kept page went;";
    if (mapped(board + 2 * page, page)) wrong += " the last page of the board stayed;";
    if (mapped(other, page)) wrong += " read-only anonymous shared memory stayed;";
    if (mapped(shm, page)) wrong += " the memfd mapping stayed;";
    if (!mapped(view, 1)) wrong += " the read-only view of a file went;";
    if (!mapped(mine, page)) wrong += " private memory went;";
    if (r.released < 4) wrong += " fewer than 4 releases counted;";
    return wrong;
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

TEST(InheritedMemory, WithNothingToKeepEverySharedMappingGoes) {
  const auto outcome = run_in_child([](int) -> std::string {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    void* board = map(2 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
    if (!board) return "mmap failed";
    const MemoryRelease r = release_inherited_shared_memory(nullptr, 0);
    if (!r.error.empty()) return r.error;
    return mapped(board, 2 * page) ? "the shared mapping stayed" : "";
  });
  EXPECT_TRUE(outcome.exited_ok()) << outcome.output;
}

}  // namespace
}  // namespace wsgid
