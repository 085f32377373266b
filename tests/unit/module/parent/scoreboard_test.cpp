// The parent's bookkeeping in the shared scoreboard: a group keeps its slot by name (so its
// counters survive a graceful restart), process slots are claimed before each fork and released
// on death, counting the restart under the reason the daemon left there.
#include "parent/scoreboard.hpp"

#include <apr_general.h>
#include <apr_pools.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "python_abi.h"

namespace wsgid {
namespace {

// Zero-filled, as the parent's anonymous mapping is.
std::unique_ptr<wsgid_scoreboard> empty_board() { return std::make_unique<wsgid_scoreboard>(); }

TEST(Scoreboard, AGroupKeepsItsSlotByName) {
  auto board = empty_board();
  wsgid_group_slot* shop = claim_group_slot(board.get(), "shop");
  wsgid_group_slot* blog = claim_group_slot(board.get(), "blog");
  ASSERT_NE(shop, nullptr);
  ASSERT_NE(blog, nullptr);
  EXPECT_NE(shop, blog);
  EXPECT_STREQ(shop->name, "shop");
  add(shop->requests_by_class[1], 7);
  // The next configuration generation claims the same name: the same slot, counters kept.
  EXPECT_EQ(claim_group_slot(board.get(), "shop"), shop);
  EXPECT_EQ(load(shop->requests_by_class[1]), 7U);
}

TEST(Scoreboard, NamesAreCutToTheSlotAndAFullBoardHasNoRoom) {
  auto board = empty_board();
  const std::string long_name(WSGID_GROUP_NAME_MAX + 10, 'g');
  wsgid_group_slot* first = claim_group_slot(board.get(), long_name.c_str());
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(std::string(first->name), long_name.substr(0, WSGID_GROUP_NAME_MAX - 1));
  for (int i = 1; i < WSGID_SCOREBOARD_MAX_GROUPS; ++i) {
    ASSERT_NE(claim_group_slot(board.get(), ("g" + std::to_string(i)).c_str()), nullptr) << i;
  }
  EXPECT_EQ(claim_group_slot(board.get(), "one-too-many"), nullptr);
  EXPECT_EQ(claim_group_slot(board.get(), "g1"), &board->groups[1]);  // existing names still do
  EXPECT_EQ(claim_group_slot(nullptr, "shop"), nullptr);
}

TEST(Scoreboard, AClaimedProcessSlotStartsCleanAndStarting) {
  auto board = empty_board();
  wsgid_group_slot* group = claim_group_slot(board.get(), "shop");
  wsgid_process_slot* slot = claim_process_slot(group, 15);
  ASSERT_NE(slot, nullptr);
  EXPECT_EQ(load(slot->state), WSGID_PROCESS_STARTING);
  EXPECT_EQ(load(slot->threads), 15);
  // A previous occupant's leftovers are gone.
  store(slot->requests, 99);
  store(slot->busy_threads, 3);
  release_process_slot(group, slot, 0);
  wsgid_process_slot* again = claim_process_slot(group, 4);
  ASSERT_EQ(again, slot);
  EXPECT_EQ(load(again->requests), 0U);
  EXPECT_EQ(load(again->busy_threads), 0);
  EXPECT_EQ(load(again->threads), 4);
  EXPECT_EQ(load(again->exit_reason), WSGID_EXIT_CRASH);  // until the daemon says otherwise
}

TEST(Scoreboard, AFullGroupHasNoProcessSlot) {
  auto board = empty_board();
  wsgid_group_slot* group = claim_group_slot(board.get(), "shop");
  for (int i = 0; i < WSGID_SCOREBOARD_MAX_PROCESSES; ++i) {
    ASSERT_NE(claim_process_slot(group, 1), nullptr) << i;
  }
  EXPECT_EQ(claim_process_slot(group, 1), nullptr);
  EXPECT_EQ(claim_process_slot(nullptr, 1), nullptr);
}

TEST(Scoreboard, ReleaseCountsTheRestartUnderTheDaemonsReason) {
  auto board = empty_board();
  wsgid_group_slot* group = claim_group_slot(board.get(), "shop");
  // The daemon's own reason.
  wsgid_process_slot* slot = claim_process_slot(group, 1);
  store(slot->exit_reason, WSGID_EXIT_MAXIMUM_REQUESTS);
  release_process_slot(group, slot, 0);
  EXPECT_EQ(load(group->restarts[WSGID_EXIT_MAXIMUM_REQUESTS]), 1U);
  EXPECT_EQ(load(slot->state), WSGID_PROCESS_EMPTY);
  // No reason left: a crash.
  slot = claim_process_slot(group, 1);
  release_process_slot(group, slot, 139);
  EXPECT_EQ(load(group->restarts[WSGID_EXIT_CRASH]), 1U);
  // The start-up failure exit status wins over whatever the slot says.
  slot = claim_process_slot(group, 1);
  store(slot->exit_reason, WSGID_EXIT_SHUTDOWN);
  release_process_slot(group, slot, WSGID_EXIT_STARTUP_FAILURE);
  EXPECT_EQ(load(group->restarts[WSGID_EXIT_STARTUP_FAILED]), 1U);
  EXPECT_EQ(load(group->restarts[WSGID_EXIT_SHUTDOWN]), 0U);
  // A reason out of range (a corrupted slot) counts as a crash, never out of bounds.
  slot = claim_process_slot(group, 1);
  store(slot->exit_reason, WSGID_EXIT_REASONS + 5);
  release_process_slot(group, slot, 0);
  EXPECT_EQ(load(group->restarts[WSGID_EXIT_CRASH]), 2U);
}

// The parent's real board: mapped from a memfd that a daemon hands across its exec, so that
// wsgid-daemon can map its own group's slot (and only that) again.
TEST(Scoreboard, TheBoardIsASealedMemfdThatMapsAGroupSlotAlone) {
  ASSERT_EQ(apr_initialize(), APR_SUCCESS);
  apr_pool_t* pool = nullptr;
  ASSERT_EQ(apr_pool_create(&pool, nullptr), APR_SUCCESS);
  process_rec process{};
  process.pool = pool;
  wsgid_scoreboard* board = scoreboard(&process);
  ASSERT_NE(board, nullptr);
  EXPECT_EQ(scoreboard(&process), board);  // once per process
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(board) % WSGID_SCOREBOARD_SLOT_ALIGN, 0U);
  EXPECT_EQ(board->magic, WSGID_SCOREBOARD_MAGIC);
  const int fd = scoreboard_fd(&process);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);  // nothing httpd execs gets it
  // Sealed: whoever holds it cannot shrink it under the parent's and workers' mappings.
  EXPECT_NE(ftruncate(fd, 0), 0);
  EXPECT_NE(ftruncate(fd, sizeof(wsgid_scoreboard) * 2), 0);

  wsgid_group_slot* blog = claim_group_slot(board, "blog");
  ASSERT_NE(blog, nullptr);
  const auto offset = reinterpret_cast<char*>(blog) - reinterpret_cast<char*>(board);
  void* view = mmap(nullptr, sizeof(wsgid_group_slot), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                    static_cast<off_t>(offset));
  ASSERT_NE(view, MAP_FAILED);
  auto* slot = static_cast<wsgid_group_slot*>(view);
  EXPECT_STREQ(slot->name, "blog");
  add(slot->requests_by_class[2], 5);  // a daemon's write, seen by the parent
  EXPECT_EQ(load(blog->requests_by_class[2]), 5U);
  munmap(view, sizeof(wsgid_group_slot));
  apr_pool_destroy(pool);
}

}  // namespace
}  // namespace wsgid
