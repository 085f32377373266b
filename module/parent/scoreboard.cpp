#include "scoreboard.hpp"

#include <apr_pools.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "python_abi.h"

namespace wsgid {

static_assert(sizeof(wsgid_group_slot) % WSGID_SCOREBOARD_SLOT_ALIGN == 0 &&
                  offsetof(wsgid_scoreboard, groups) == WSGID_SCOREBOARD_SLOT_ALIGN,
              "every group slot fills its own 64 KiB-aligned pages");

namespace {

struct Board {
  wsgid_scoreboard* memory = nullptr;
  int fd = -1;
};

// A memfd, so that a daemon that execs wsgid-daemon can hand it over and map its own group's
// slot again (an anonymous shared mapping does not survive execve). Sealed at its size: no
// process holding it can shrink it under the others' mappings (SIGBUS). Close-on-exec: nothing
// httpd starts (CGI, piped loggers) gets it; the daemon clears the flag on its own copy.
Board make_board() {
  constexpr std::size_t kAlign = alignof(wsgid_scoreboard);
  constexpr std::size_t kSize = sizeof(wsgid_scoreboard);
  const int fd = memfd_create("wsgid-scoreboard", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return {};
  if (ftruncate(fd, kSize) != 0 ||
      fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    close(fd);
    return {};
  }
  // Aligned as its type says (slots on 64 KiB boundaries, scoreboard.h): reserve one
  // alignment's worth more, map the board at the aligned address inside, release the rest.
  void* reserve = mmap(nullptr, kSize + kAlign, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (reserve == MAP_FAILED) {
    close(fd);
    return {};
  }
  const auto start = reinterpret_cast<std::uintptr_t>(reserve);
  const std::uintptr_t aligned = (start + kAlign - 1) & ~(std::uintptr_t{kAlign} - 1);
  void* mem = mmap(reinterpret_cast<void*>(aligned), kSize, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_FIXED, fd, 0);
  if (mem == MAP_FAILED) {
    munmap(reserve, kSize + kAlign);
    close(fd);
    return {};
  }
  if (aligned > start) munmap(reserve, aligned - start);
  if (const std::size_t tail = start + kSize + kAlign - (aligned + kSize); tail > 0) {
    munmap(reinterpret_cast<void*>(aligned + kSize), tail);
  }
  return {static_cast<wsgid_scoreboard*>(mem), fd};
}

Board* board_of(process_rec* process) {
  void* data = nullptr;
  apr_pool_userdata_get(&data, "wsgid.scoreboard", process->pool);
  if (data) return static_cast<Board*>(data);
  auto* board = static_cast<Board*>(apr_pcalloc(process->pool, sizeof(Board)));
  *board = make_board();
  if (!board->memory) return board;               // not recorded: the next call tries again
  board->memory->magic = WSGID_SCOREBOARD_MAGIC;  // the rest is zero-filled by the kernel
  board->memory->version = WSGID_SCOREBOARD_VERSION;
  // Never unmapped or closed: it must outlive every generation of workers and daemons.
  apr_pool_userdata_set(board, "wsgid.scoreboard", apr_pool_cleanup_null, process->pool);
  return board;
}

}  // namespace

wsgid_scoreboard* scoreboard(process_rec* process) { return board_of(process)->memory; }

int scoreboard_fd(process_rec* process) { return board_of(process)->fd; }

wsgid_group_slot* claim_group_slot(wsgid_scoreboard* board, const char* name) {
  if (!board) return nullptr;
  wsgid_group_slot* free_slot = nullptr;
  for (wsgid_group_slot& g : board->groups) {
    if (std::strncmp(g.name, name, sizeof(g.name)) == 0) return &g;
    if (!free_slot && g.name[0] == '\0') free_slot = &g;
  }
  if (free_slot) std::strncpy(free_slot->name, name, sizeof(free_slot->name) - 1);
  return free_slot;
}

wsgid_process_slot* claim_process_slot(wsgid_group_slot* group, int threads) {
  if (!group) return nullptr;
  for (wsgid_process_slot& p : group->processes_slots) {
    if (load(p.state) != WSGID_PROCESS_EMPTY) continue;
    store(p.pid, 0);
    store(p.threads, threads);
    store(p.busy_threads, 0);
    store(p.connections, 0);
    store(p.exit_reason, WSGID_EXIT_CRASH);
    store(p.requests, 0);
    store(p.state, WSGID_PROCESS_STARTING);
    return &p;
  }
  return nullptr;
}

void release_process_slot(wsgid_group_slot* group, wsgid_process_slot* slot, int exit_status) {
  if (!group || !slot) return;
  int reason = load(slot->exit_reason);
  if (exit_status == WSGID_EXIT_STARTUP_FAILURE) reason = WSGID_EXIT_STARTUP_FAILED;
  if (reason < 0 || reason >= WSGID_EXIT_REASONS) reason = WSGID_EXIT_CRASH;
  add(group->restarts[reason], 1);
  store(slot->busy_threads, 0);
  store(slot->connections, 0);
  store(slot->pid, 0);
  store(slot->state, WSGID_PROCESS_EMPTY);
}

}  // namespace wsgid
