// Feeds arbitrary bytes, in arbitrary splits, to the frame decoder and every payload parser:
// nothing may crash, read out of bounds or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wsgid::wire;
  if (size == 0) return 0;
  // The first byte picks the split size, so frames straddle feed() calls.
  const std::size_t step = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  FrameDecoder decoder;
  FrameHeader header;
  std::string_view payload;
  for (std::size_t pos = 0; pos < input.size(); pos += step) {
    decoder.feed(input.substr(pos, step));
    while (decoder.next(header, payload)) {
      Pairs pairs;
      ResponseHead head;
      ErrorInfo error;
      switch (header.type) {
        case FrameType::kHello:
          (void)parse_hello(payload);
          break;
        case FrameType::kRequestHead:
          (void)parse_pairs(payload, pairs);
          break;
        case FrameType::kResponseHead:
          (void)parse_response_head(payload, head);
          break;
        case FrameType::kError:
          (void)parse_error(payload, error);
          break;
        default:
          break;
      }
    }
    if (decoder.error() != DecodeError::kNone) break;
  }
  return 0;
}
