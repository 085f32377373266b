// Feeds arbitrary bytes, in arbitrary splits, to the frame decoder and every payload parser:
// nothing may crash, read out of bounds or allocate without bound. Half of the inputs go in
// through prepare/commit and take body frames out with peek_header/take_partial, as the worker
// does for large response bodies.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>
#include <string_view>

#include "wire_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wsgid::wire;
  if (size == 0) return 0;
  // The first byte picks the split size, so frames straddle feed() calls.
  const std::size_t step = 1 + data[0] % 64;
  const bool direct = (data[0] & 0x80) != 0;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  FrameDecoder decoder;
  FrameHeader header;
  std::string_view payload;
  for (std::size_t pos = 0; pos < input.size(); pos += step) {
    const std::string_view piece = input.substr(pos, step);
    if (direct) {
      const auto space = decoder.prepare(piece.size());
      std::memcpy(space.data(), piece.data(), piece.size());
      decoder.commit(piece.size());
      FrameHeader peeked;
      if (decoder.peek_header(peeked) && peeked.type == FrameType::kResponseBody &&
          decoder.buffered() - kHeaderSize < peeked.length) {
        std::vector<char> out(peeked.length);
        const std::size_t n = decoder.take_partial(peeked, out.data());
        if (n > peeked.length) __builtin_trap();
        // The rest of that payload would be received elsewhere: the stream is now mid-frame,
        // which the decoder cannot know, so stop here.
        break;
      }
    } else {
      decoder.feed(piece);
    }
    while (decoder.next(header, payload)) {
      Pairs pairs;
      ResponseHead head;
      ErrorInfo error;
      switch (header.type) {
        case FrameType::kHello: {
          static constexpr unsigned char kSecret[kSecretSize] = {};
          Hello hello;
          (void)parse_hello(payload, hello);
          (void)hello_proves(hello, kSecret);
          break;
        }
        case FrameType::kRequestHead:
          (void)parse_pairs(payload, pairs);
          break;
        case FrameType::kResponseHead:
          (void)parse_response_head(payload, head);
          break;
        case FrameType::kError:
          (void)parse_error(payload, error);
          break;
        case FrameType::kResponseFile: {
          std::uint64_t offset = 0, length = 0;
          (void)parse_response_file(payload, offset, length);
          break;
        }
        case FrameType::kRing: {
          std::uint32_t ring_size = 0;
          (void)parse_ring(payload, ring_size);
          break;
        }
        case FrameType::kResponseRing: {
          std::uint32_t offset = 0, length = 0;
          if (parse_response_ring(payload, offset, length) &&
              (length == 0 || offset > kRingMaxData - length))
            __builtin_trap();
          break;
        }
        default:
          break;
      }
    }
    if (decoder.error() != DecodeError::kNone) break;
  }
  return 0;
}
