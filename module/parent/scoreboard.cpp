#include "scoreboard.hpp"

#include <apr_pools.h>

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "python_abi.h"

namespace wsgid {

static_assert(sizeof(wsgid_group_slot) % WSGID_SCOREBOARD_SLOT_ALIGN == 0 &&
                  offsetof(wsgid_scoreboard, groups) == WSGID_SCOREBOARD_SLOT_ALIGN,
              "every group slot fills its own 64 KiB-aligned pages");

wsgid_scoreboard* scoreboard(process_rec* process) {
  void* data = nullptr;
  apr_pool_userdata_get(&data, "wsgid.scoreboard", process->pool);
  if (data) return static_cast<wsgid_scoreboard*>(data);
  // Aligned as its type says (slots on 64 KiB boundaries, scoreboard.h): one alignment's worth
  // more is mapped, and what lies before and after the aligned part is unmapped again.
  constexpr std::size_t kAlign = alignof(wsgid_scoreboard);
  constexpr std::size_t kSize = sizeof(wsgid_scoreboard);
  void* mem =
      mmap(nullptr, kSize + kAlign, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<std::uintptr_t>(mem);
  const std::uintptr_t aligned = (start + kAlign - 1) & ~(std::uintptr_t{kAlign} - 1);
  if (aligned > start) munmap(mem, aligned - start);
  if (const std::size_t tail = start + kSize + kAlign - (aligned + kSize); tail > 0) {
    munmap(reinterpret_cast<void*>(aligned + kSize), tail);
  }
  auto* board = reinterpret_cast<wsgid_scoreboard*>(aligned);  // zero-filled by the kernel
  board->magic = WSGID_SCOREBOARD_MAGIC;
  board->version = WSGID_SCOREBOARD_VERSION;
  // The mapping is never unmapped: it must outlive every generation of workers and daemons.
  apr_pool_userdata_set(board, "wsgid.scoreboard", apr_pool_cleanup_null, process->pool);
  return board;
}

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
