#include "shared_ring.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "wire_protocol.hpp"

namespace wsgid::ring {
namespace {

constexpr std::size_t kHeader = wire::kRingHeaderSize;
// A waiting daemon looks at its socket this often: a worker that died is noticed this fast.
constexpr int kHangupCheckMs = 200;

std::atomic_ref<std::uint32_t> released_counter(char* base) {
  return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(base));
}

std::string failed(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

long long now_ms() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long long>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

}  // namespace

RingWriter::~RingWriter() {
  // The worker keeps its mapping while the connection sits in its pool, and would then hold
  // the pages alone: freed here (a hole punched through the daemon's mapping: madvise is in the
  // sandbox's @memory with mmap), they count against neither side. Only once the worker has
  // released every byte: a connection closed after its response may still have its last bytes
  // on their way to the client.
  if (base_ != nullptr) {
    if (empty()) madvise(base_, kHeader + std::size_t{size_}, MADV_REMOVE);
    munmap(base_, kHeader + size_);
  }
  if (fd_ >= 0) close(fd_);
}

bool RingWriter::create(std::uint32_t data_size, std::string& why) {
  const int fd =
      static_cast<int>(syscall(SYS_memfd_create, "wsgid-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd < 0) {
    why = failed("memfd_create");
    return false;
  }
  const std::size_t total = kHeader + data_size;
  void* base = MAP_FAILED;
  if (ftruncate(fd, static_cast<off_t>(total)) != 0) {
    why = failed("ftruncate");
  } else if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    why = failed("fcntl(F_ADD_SEALS)");
  } else if ((base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                          0)) == MAP_FAILED) {
    why = failed("mmap");
  }
  if (base == MAP_FAILED) {
    close(fd);
    return false;
  }
  fd_ = fd;
  base_ = static_cast<char*>(base);
  size_ = data_size;
  written_ = 0;
  pos_ = 0;
  return true;
}

// The application can write the counter too: whatever it wrote, the daemon only ever writes
// inside its own mapping, and a count that cannot be (corrupt) stops the ring's use.
std::uint32_t RingWriter::in_use() const {
  const std::uint32_t released = released_counter(base_).load(std::memory_order_acquire);
  return written_ - released;
}

std::span<char> RingWriter::free_space(std::size_t max) {
  const std::uint32_t used = in_use();
  if (used > size_) return {};
  const std::uint32_t free = size_ - used;
  const std::size_t n = std::min<std::size_t>({max, free, size_ - pos_});
  return {base_ + kHeader + pos_, n};
}

std::uint32_t RingWriter::commit(std::size_t n) {
  const std::uint32_t offset = pos_;
  populated_ = true;
  written_ += static_cast<std::uint32_t>(n);
  pos_ = static_cast<std::uint32_t>((pos_ + n) % size_);
  return offset;
}

// The header is one page (kRingHeaderSize), so the data area starts page-aligned and the hole
// leaves the counter alone: the worker's last release may still be waking the daemon through
// it. A refused madvise (a sandbox that denies it) keeps the pages until the connection closes,
// and is not tried again for this burst.
bool RingWriter::trim() {
  if (base_ == nullptr || !empty()) return false;
  if (populated_) madvise(base_ + kHeader, size_, MADV_REMOVE);
  populated_ = false;
  return true;
}

RingWriter::Wait RingWriter::wait_for_room(int socket, int timeout_ms) {
  const long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
  auto counter = released_counter(base_);
  for (;;) {
    const std::uint32_t seen = counter.load(std::memory_order_acquire);
    if (written_ - seen > size_) return Wait::kCorrupt;
    if (written_ - seen < size_) return Wait::kRoom;
    int slice = kHangupCheckMs;
    if (deadline >= 0) {
      const long long left = deadline - now_ms();
      if (left <= 0) return Wait::kTimeout;
      slice = static_cast<int>(std::min<long long>(left, slice));
    }
    const timespec ts{slice / 1000, (slice % 1000) * 1000000L};
    // Not FUTEX_PRIVATE: the worker that wakes it is another process.
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(base_), FUTEX_WAIT, seen, &ts, nullptr, 0);
    pollfd p{socket, 0, 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
      return Wait::kPeerGone;
    }
  }
}

bool RingReader::attach(int fd, std::uint32_t data_size, std::string& why) {
  reset();
  const std::size_t total = kHeader + std::size_t{data_size};
  const int seals = fcntl(fd, F_GET_SEALS);
  struct stat st {};
  void* base = MAP_FAILED;
  if (seals < 0) {
    why = failed("fcntl(F_GET_SEALS) on the ring");
  } else if ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW)) {
    why = "the ring can change size (not sealed against shrinking and growing)";
  } else if (fstat(fd, &st) != 0) {
    why = failed("fstat on the ring");
  } else if (!S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) != total) {
    why = "the ring is not the size its frame announced";
  } else if ((base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                          0)) == MAP_FAILED) {
    why = failed("mmap of the ring");
  } else if (mprotect(static_cast<char*>(base) + kHeader, data_size, PROT_READ) != 0) {
    why = failed("mprotect of the ring");
    munmap(base, total);
    base = MAP_FAILED;
  }
  close(fd);
  if (base == MAP_FAILED) return false;
  base_ = static_cast<char*>(base);
  mapped_ = total;
  size_ = data_size;
  return true;
}

const char* RingReader::bytes(std::uint32_t offset, std::uint32_t length) const {
  if (base_ == nullptr || length == 0 || offset > size_ || length > size_ - offset) return nullptr;
  return base_ + kHeader + offset;
}

void RingReader::release(std::size_t n) {
  if (base_ == nullptr || n == 0) return;
  // An addition, not a store of the worker's own count: two exchanges of one connection can
  // release at once (the first passes its last bytes after handing the connection back). The
  // value read is never used, so the daemon's application cannot steer the worker with it.
  released_counter(base_).fetch_add(static_cast<std::uint32_t>(n), std::memory_order_release);
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(base_), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

void RingReader::reset() {
  if (base_ != nullptr) munmap(base_, mapped_);
  base_ = nullptr;
  mapped_ = 0;
  size_ = 0;
}

}  // namespace wsgid::ring
