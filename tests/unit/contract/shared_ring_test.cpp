#include "shared_ring.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "wire_protocol.hpp"

namespace wsgid::ring {
namespace {

constexpr std::uint32_t kSize = 64 * 1024;

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~SocketPair() {
    for (const int fd : fds)
      if (fd >= 0) close(fd);
  }
};

// The reader gets its own descriptor of the writer's memfd, as SCM_RIGHTS would give it.
bool attach(RingReader& reader, const RingWriter& writer, std::string& why) {
  return reader.attach(fcntl(writer.fd(), F_DUPFD_CLOEXEC, 0), writer.data_size(), why);
}

TEST(SharedRing, BytesWrittenAreReadAtTheirOffsetAndReleasedInOrder) {
  RingWriter writer;
  std::string why;
  ASSERT_TRUE(writer.create(kSize, why)) << why;
  RingReader reader;
  ASSERT_TRUE(attach(reader, writer, why)) << why;

  auto first = writer.free_space(40000);
  ASSERT_EQ(first.size(), 40000u);
  std::memset(first.data(), 'a', first.size());
  const std::uint32_t a = writer.commit(first.size());
  // Only up to the end of the data area: the rest of a chunk goes in the next frame.
  auto second = writer.free_space(40000);
  ASSERT_EQ(second.size(), kSize - 40000);
  std::memset(second.data(), 'b', second.size());
  const std::uint32_t b = writer.commit(second.size());
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 40000u);
  EXPECT_TRUE(writer.free_space(1).empty());  // full until the worker releases

  const char* got = reader.bytes(b, kSize - 40000);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got[0], 'b');
  reader.release(40000);
  // The released start of the ring is reused: the pages stay, only their bytes change.
  auto third = writer.free_space(kSize);
  EXPECT_EQ(third.size(), 40000u);
  EXPECT_EQ(writer.commit(third.size()), 0u);
  EXPECT_FALSE(writer.empty());
  reader.release(kSize);
  EXPECT_TRUE(writer.empty());
}

TEST(SharedRing, ADroppedRingKeepsWhatTheWorkerHasNotReleasedAndFreesTheRest) {
  std::string why;
  RingReader reader;
  {
    auto writer = std::make_unique<RingWriter>();
    ASSERT_TRUE(writer->create(kSize, why)) << why;
    ASSERT_TRUE(attach(reader, *writer, why)) << why;
    auto space = writer->free_space(100);
    std::memset(space.data(), 'x', space.size());
    writer->commit(space.size());
  }
  // The daemon closed the connection right after its response: the worker is still sending it.
  const char* got = reader.bytes(0, 100);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(std::string(got, 100), std::string(100, 'x'));
  reader.release(100);
  auto writer = std::make_unique<RingWriter>();
  ASSERT_TRUE(writer->create(kSize, why)) << why;
  RingReader idle;
  ASSERT_TRUE(attach(idle, *writer, why)) << why;
  auto space = writer->free_space(100);
  std::memset(space.data(), 'y', space.size());
  writer->commit(space.size());
  idle.release(100);
  writer.reset();
  // Everything was released: the pages are gone, for the pooled worker mapping too.
  EXPECT_EQ(idle.bytes(0, 1)[0], '\0');
}

TEST(SharedRing, AnIdleRingGivesItsPagesBackOnlyOnceEveryByteIsReleasedAndKeepsWorking) {
  RingWriter writer;
  std::string why;
  ASSERT_TRUE(writer.create(kSize, why)) << why;
  RingReader reader;
  ASSERT_TRUE(attach(reader, writer, why)) << why;
  EXPECT_FALSE(writer.populated());
  auto space = writer.free_space(1000);
  std::memset(space.data(), 'x', space.size());
  writer.commit(space.size());
  EXPECT_TRUE(writer.populated());
  // The worker is still passing these bytes to its client: they must stay.
  EXPECT_FALSE(writer.trim());
  EXPECT_EQ(reader.bytes(0, 1)[0], 'x');
  reader.release(1000);
  EXPECT_TRUE(writer.trim());
  EXPECT_FALSE(writer.populated());
  // The hole shows through the worker's mapping, which stays.
  EXPECT_EQ(reader.bytes(0, 1)[0], '\0');
  EXPECT_TRUE(writer.trim());  // nothing left to free
  // The counter survived: the next response has the whole ring and comes back in new pages.
  EXPECT_TRUE(writer.empty());
  EXPECT_EQ(writer.free_space(kSize).size(), kSize - 1000);
  space = writer.free_space(kSize);
  std::memset(space.data(), 'y', space.size());
  EXPECT_EQ(writer.commit(space.size()), 1000u);
  EXPECT_TRUE(writer.populated());
  EXPECT_EQ(reader.bytes(1000, 1)[0], 'y');
  EXPECT_EQ(writer.free_space(kSize).size(), 1000u);
}

TEST(SharedRing, TheReaderRefusesOffsetsOutsideItsMapping) {
  RingWriter writer;
  std::string why;
  ASSERT_TRUE(writer.create(kSize, why)) << why;
  RingReader reader;
  ASSERT_TRUE(attach(reader, writer, why)) << why;
  EXPECT_NE(reader.bytes(0, kSize), nullptr);
  EXPECT_EQ(reader.bytes(1, kSize), nullptr);
  EXPECT_EQ(reader.bytes(kSize, 1), nullptr);
  EXPECT_EQ(reader.bytes(0xffffffffu, 2), nullptr);
  EXPECT_EQ(reader.bytes(0, 0), nullptr);
}

TEST(SharedRing, TheReaderRefusesAMemfdOfAnotherSize) {
  RingWriter writer;
  std::string why;
  ASSERT_TRUE(writer.create(kSize, why)) << why;
  RingReader reader;
  EXPECT_FALSE(reader.attach(fcntl(writer.fd(), F_DUPFD_CLOEXEC, 0), kSize * 2, why));
  EXPECT_NE(why.find("size"), std::string::npos) << why;
  EXPECT_FALSE(reader.attached());
}

TEST(SharedRing, TheReaderRefusesMemoryThatCanShrink) {
  // What the daemon's application could send instead: a memfd without the seals, which it
  // could truncate under the worker's mapping (SIGBUS).
  const int fd = static_cast<int>(syscall(SYS_memfd_create, "x", MFD_CLOEXEC));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, wire::kRingHeaderSize + kSize), 0);
  RingReader reader;
  std::string why;
  EXPECT_FALSE(reader.attach(fd, kSize, why));
  EXPECT_FALSE(why.empty());
  // A regular file is refused the same way.
  char path[] = "/tmp/wsgid-ring-XXXXXX";
  const int file = mkstemp(path);
  ASSERT_GE(file, 0);
  unlink(path);
  ASSERT_EQ(ftruncate(file, wire::kRingHeaderSize + kSize), 0);
  EXPECT_FALSE(reader.attach(file, kSize, why));
}

TEST(SharedRing, TheSealsHoldAgainstTheDaemonItself) {
  RingWriter writer;
  std::string why;
  ASSERT_TRUE(writer.create(kSize, why)) << why;
  EXPECT_NE(ftruncate(writer.fd(), 4096), 0);
  EXPECT_NE(ftruncate(writer.fd(), 1 << 20), 0);
  EXPECT_NE(fcntl(writer.fd(), F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
}

TEST(SharedRing, AFullRingWaitsForARelease) {
  RingWriter writer;
  std::string why;
  ASSERT_TRUE(writer.create(kSize, why)) << why;
  RingReader reader;
  ASSERT_TRUE(attach(reader, writer, why)) << why;
  writer.commit(writer.free_space(kSize).size());
  SocketPair sockets;
  std::thread releaser([&reader] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // lets the writer wait first
    reader.release(4096);
  });
  EXPECT_EQ(writer.wait_for_room(sockets.fds[0], 10000), RingWriter::Wait::kRoom);
  releaser.join();
  EXPECT_EQ(writer.free_space(kSize).size(), 4096u);
}

TEST(SharedRing, AFullRingStopsWaitingWhenTheWorkerHangsUpOrTimeIsUp) {
  RingWriter writer;
  std::string why;
  ASSERT_TRUE(writer.create(kSize, why)) << why;
  writer.commit(writer.free_space(kSize).size());
  SocketPair sockets;
  EXPECT_EQ(writer.wait_for_room(sockets.fds[0], 30), RingWriter::Wait::kTimeout);
  close(sockets.fds[1]);
  sockets.fds[1] = -1;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(writer.wait_for_room(sockets.fds[0], 60000), RingWriter::Wait::kPeerGone);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(SharedRing, ACounterTheApplicationScribbledOnNeverLetsTheWriterOutOfItsRing) {
  RingWriter writer;
  std::string why;
  ASSERT_TRUE(writer.create(kSize, why)) << why;
  writer.commit(100);
  // Released more than was ever written: the writer still offers at most its data area.
  void* base =
      mmap(nullptr, wire::kRingHeaderSize, PROT_READ | PROT_WRITE, MAP_SHARED, writer.fd(), 0);
  ASSERT_NE(base, MAP_FAILED);
  *static_cast<std::uint32_t*>(base) = 0x80000000u;
  EXPECT_TRUE(writer.free_space(1u << 30).empty());
  EXPECT_TRUE(writer.corrupt());
  SocketPair sockets;
  EXPECT_EQ(writer.wait_for_room(sockets.fds[0], 60000), RingWriter::Wait::kCorrupt);
  // Released less than was written, by more than the ring holds: the same.
  *static_cast<std::uint32_t*>(base) = 0xffff0000u;
  EXPECT_TRUE(writer.corrupt());
  munmap(base, wire::kRingHeaderSize);
}

}  // namespace
}  // namespace wsgid::ring
