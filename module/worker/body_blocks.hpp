// A large ResponseBody frame received straight into the blocks it is passed to httpd in, instead
// of gathered in the exchange's frame decoder and copied into a bucket (daemon_exchange.cpp
// decides which frames; this keeps the blocks). What of the payload had arrived with the header
// is moved into the first block; the rest is received into up to kMaxPieces blocks per read, and
// each block that fills is handed on whole (a heap bucket owns it: no copy).
//
// Blocks are the size httpd's own socket reads use, from the connection's bucket allocator: it
// keeps freed ones on its free list for the next response (a static worker's allocators hold the
// same blocks), and hands out no large block that would come from, and return to, a glibc arena
// of the thread.
#pragma once

#include <apr_buckets.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cstddef>

#include "wire_protocol.hpp"

namespace wsgid {

class BodyBlocks {
 public:
  static constexpr std::size_t kBlock = APR_BUCKET_BUFF_SIZE;
  static constexpr std::size_t kMaxPieces = 4;  // blocks one read fills at most

  explicit BodyBlocks(apr_bucket_alloc_t* ba) : ba_(ba) {}
  ~BodyBlocks();  // frees the blocks not handed on
  BodyBlocks(const BodyBlocks&) = delete;
  BodyBlocks& operator=(const BodyBlocks&) = delete;

  // Payload bytes of the current frame still to be received (0: not in such a frame).
  std::size_t left() const { return frame_left_; }
  // Starts the frame whose header `decoder` has buffered (peek_header gave `h`): takes the header
  // and what of the payload is buffered out of the decoder.
  void begin(wire::FrameDecoder& decoder, const wire::FrameHeader& h);
  // Room for the frame's next bytes, appended to `iov`: the free part of the first block, then
  // more blocks, never past the frame's end. Returns the bytes of room.
  std::size_t iovecs(iovec* iov, int& count);
  // `n` bytes arrived in that room: each block that is now full goes to deliver(block, size),
  // which takes it; delivery stops when it returns false.
  template <typename Deliver>
  void fill(std::size_t n, Deliver&& deliver);

 private:
  char* new_block() { return static_cast<char*>(apr_bucket_alloc(kBlock, ba_)); }

  apr_bucket_alloc_t* ba_;
  std::array<char*, kMaxPieces> pieces_{};  // blocks for the current frame's payload
  std::size_t pieces_ready_ = 0;            // allocated, the first partly filled
  std::size_t piece_have_ = 0;              // bytes in the first
  std::size_t frame_left_ = 0;              // payload of that frame not received yet
};

template <typename Deliver>
void BodyBlocks::fill(std::size_t n, Deliver&& deliver) {
  while (n > 0) {
    const std::size_t target = std::min(kBlock, piece_have_ + frame_left_);
    const std::size_t take = std::min(n, target - piece_have_);
    piece_have_ += take;
    frame_left_ -= take;
    n -= take;
    if (piece_have_ < target) break;
    char* full = pieces_[0];
    std::move(pieces_.begin() + 1, pieces_.begin() + pieces_ready_, pieces_.begin());
    --pieces_ready_;
    piece_have_ = 0;
    if (!deliver(full, target)) return;
  }
}

}  // namespace wsgid
