// Both ends of a connection's response ring (wire_protocol.hpp, kRing): the daemon's writer,
// which owns the memfd and waits for room, and the worker's reader, which maps what it was sent
// and trusts none of it but the body bytes it checked the offsets of.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wsgid::ring {

// The daemon's side. Made once per connection, on the first large body chunk, and reused by
// every later response on it: the pages are allocated once, after that only copied into.
class RingWriter {
 public:
  RingWriter() = default;
  ~RingWriter();
  RingWriter(const RingWriter&) = delete;
  RingWriter& operator=(const RingWriter&) = delete;

  // A sealed memfd (size, shrink, grow and the seals themselves) of the header and `data_size`
  // bytes, mapped. False, with `why` (the call and errno), when the kernel or the sandbox
  // refuses any step; nothing is kept then.
  bool create(std::uint32_t data_size, std::string& why);
  bool ready() const { return base_ != nullptr; }
  int fd() const { return fd_; }
  std::uint32_t data_size() const { return size_; }

  // The free bytes from the write position to the end of the data area or the first byte
  // not yet released, at most `max`; empty when the ring is full or corrupt.
  std::span<char> free_space(std::size_t max);
  // `n` bytes of what free_space returned were written: returns their offset.
  std::uint32_t commit(std::size_t n);
  // Whether everything written has been released.
  bool empty() const { return in_use() == 0; }
  // Whether the data area has been written since it was made or last trimmed, so may hold pages.
  bool populated() const { return populated_; }
  // Frees the data area's pages once the worker has released every byte (false, and nothing
  // freed, while it has not): a hole punched through the memfd, so both sides keep their
  // mappings and the next response faults fresh pages in. The header, and its counter, stay.
  // Not populated() afterwards.
  bool trim();
  // The counter says more was released than written, or that more is in use than the ring
  // holds: the application wrote to it. Nothing about this ring can be trusted any more.
  bool corrupt() const { return in_use() > size_; }

  enum class Wait { kRoom, kTimeout, kPeerGone, kCorrupt };
  // Blocks until the worker releases something, `timeout_ms` pass without any release (< 0:
  // for ever), or `socket` hangs up: a worker that dies never leaves a daemon thread waiting.
  Wait wait_for_room(int socket, int timeout_ms);

 private:
  std::uint32_t in_use() const;
  int fd_ = -1;
  char* base_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t written_ = 0;  // bytes committed, modulo 2^32 like the released counter
  std::uint32_t pos_ = 0;      // where the next bytes go in the data area
  bool populated_ = false;
};

// The worker's side, for one response. The mapping goes with it, so a worker holds no ring
// memory between responses.
class RingReader {
 public:
  RingReader() = default;
  ~RingReader() { reset(); }
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Maps `fd` (which it closes) as a ring of `data_size` bytes, after checking that it cannot
  // shrink or grow (F_GET_SEALS) and is exactly that large (fstat): the daemon's application
  // holds the same memfd and must not be able to make the worker fault. False with `why`.
  bool attach(int fd, std::uint32_t data_size, std::string& why);
  bool attached() const { return base_ != nullptr; }
  std::uint32_t data_size() const { return size_; }
  // The body bytes at [offset, offset + length) of the data area, or null when that is not
  // inside it.
  const char* bytes(std::uint32_t offset, std::uint32_t length) const;
  // Tells the daemon `n` more bytes are free: added to the shared counter, and its waiter
  // woken. Only after httpd's filters are done with them.
  void release(std::size_t n);
  void reset();

 private:
  char* base_ = nullptr;
  std::size_t mapped_ = 0;
  std::uint32_t size_ = 0;
};

}  // namespace wsgid::ring
