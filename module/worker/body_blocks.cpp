#include "body_blocks.hpp"

namespace wsgid {

BodyBlocks::~BodyBlocks() {
  for (std::size_t i = 0; i < pieces_ready_; ++i) apr_bucket_free(pieces_[i]);
}

void BodyBlocks::begin(wire::FrameDecoder& decoder, const wire::FrameHeader& h) {
  pieces_[0] = new_block();
  pieces_ready_ = 1;
  piece_have_ = decoder.take_partial(h, pieces_[0]);
  frame_left_ = h.length - piece_have_;
}

std::size_t BodyBlocks::iovecs(iovec* iov, int& count) {
  std::size_t left = frame_left_;
  std::size_t room = 0;
  for (std::size_t i = 0; i < kMaxPieces && left > 0; ++i) {
    if (i == pieces_ready_) {
      pieces_[i] = new_block();
      ++pieces_ready_;
    }
    const std::size_t have = i == 0 ? piece_have_ : 0;
    const std::size_t n = std::min(kBlock - have, left);
    iov[count++] = {pieces_[i] + have, n};
    left -= n;
    room += n;
  }
  return room;
}

}  // namespace wsgid
