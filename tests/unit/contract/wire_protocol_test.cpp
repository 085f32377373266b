#include "wire_protocol.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace wsgid::wire {
namespace {

constexpr unsigned char kSecret[kSecretSize] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

std::string hello_payload(const unsigned char secret[kSecretSize]) {
  std::string out;
  append_hello(out, secret);
  FrameDecoder d;
  d.feed(out);
  FrameHeader h;
  std::string_view payload;
  EXPECT_TRUE(d.next(h, payload));
  EXPECT_EQ(h.type, FrameType::kHello);
  return std::string(payload);
}

TEST(WireProtocol, HelloRoundTripsAndProvesItsSecret) {
  const std::string payload = hello_payload(kSecret);
  Hello hello;
  ASSERT_TRUE(parse_hello(payload, hello));
  EXPECT_EQ(hello.version, kVersion);
  EXPECT_TRUE(hello_proves(hello, kSecret));
}

TEST(WireProtocol, EncodedHelloIsTheAppendedOne) {
  unsigned char frame[kHelloFrameSize];
  encode_hello(kSecret, frame);
  std::string out;
  append_hello(out, kSecret);
  EXPECT_EQ(out, std::string(reinterpret_cast<const char*>(frame), sizeof frame));
}

TEST(WireProtocol, HelloWithAnotherSecretProvesNothing) {
  for (std::size_t i : {std::size_t{0}, kSecretSize / 2, kSecretSize - 1}) {
    unsigned char other[kSecretSize];
    std::memcpy(other, kSecret, kSecretSize);
    other[i] ^= 0x01;
    Hello hello;
    const std::string payload = hello_payload(other);
    ASSERT_TRUE(parse_hello(payload, hello));
    EXPECT_FALSE(hello_proves(hello, kSecret)) << "byte " << i;
  }
}

TEST(WireProtocol, HelloWithOtherVersionIsRefused) {
  // Version 2 workers sent no secret: a version 3 daemon must tell them apart (restart httpd).
  std::string payload = {'W', 'S', 'G', 'D', 2, 0, 0, 0};
  Hello hello;
  EXPECT_FALSE(parse_hello(payload, hello));
  EXPECT_EQ(hello.version, 2);
  EXPECT_FALSE(hello_proves(hello, kSecret));
  payload = hello_payload(kSecret);
  payload[4] = static_cast<char>(kVersion + 1);
  EXPECT_FALSE(parse_hello(payload, hello));
  // Version 3 workers know no ring frames: a version 4 daemon must not send them any.
  payload[4] = 3;
  EXPECT_FALSE(parse_hello(payload, hello));
  EXPECT_EQ(hello.version, 3);
}

TEST(WireProtocol, HelloOfTheWrongSizeIsRefused) {
  std::string payload = hello_payload(kSecret);
  Hello hello;
  EXPECT_FALSE(parse_hello(payload.substr(0, payload.size() - 1), hello));
  EXPECT_FALSE(parse_hello(payload + "x", hello));
  EXPECT_FALSE(hello_proves(hello, kSecret));
  // The decoder refuses a Hello longer than the layout before any parser sees it.
  std::string frame;
  append_frame(frame, FrameType::kHello, 0, payload + "x");
  FrameDecoder d;
  d.feed(frame);
  FrameHeader h;
  std::string_view p;
  EXPECT_FALSE(d.next(h, p));
  EXPECT_EQ(d.error(), DecodeError::kTooLong);
}

TEST(WireProtocol, KeepAliveResponseEndThenGoAwayDecodeAsSeparateFrames) {
  std::string out;
  append_frame(out, FrameType::kResponseEnd, kKeepAlive, {});
  append_frame(out, FrameType::kGoAway, 0, {});
  FrameDecoder d;
  d.feed(out);
  FrameHeader h;
  std::string_view payload;
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(h.type, FrameType::kResponseEnd);
  EXPECT_EQ(h.flags, kKeepAlive);
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(h.type, FrameType::kGoAway);
  EXPECT_TRUE(payload.empty());
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(WireProtocol, BytesReceivedIntoPreparedSpaceDecodeAsFed) {
  std::string stream;
  append_frame(stream, FrameType::kResponseBody, 0, std::string(100000, 'b'));
  append_frame(stream, FrameType::kResponseEnd, kKeepAlive, {});
  FrameDecoder d;
  for (std::size_t pos = 0; pos < stream.size(); pos += 4096) {
    const std::size_t n = std::min<std::size_t>(4096, stream.size() - pos);
    const auto space = d.prepare(n);
    ASSERT_GE(space.size(), n);
    std::memcpy(space.data(), stream.data() + pos, n);
    d.commit(n);
  }
  FrameHeader h;
  std::string_view payload;
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(payload, std::string(100000, 'b'));
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(h.type, FrameType::kResponseEnd);
}

TEST(WireProtocol, TakePartialHandsOverABodyFramesBufferedStart) {
  std::string stream;
  append_frame(stream, FrameType::kResponseBody, 0, std::string(1000, 'x'));
  FrameDecoder d;
  d.feed(std::string_view(stream).substr(0, kHeaderSize + 300));
  FrameHeader h;
  ASSERT_TRUE(d.peek_header(h));
  EXPECT_EQ(h.length, 1000u);
  std::string out(1000, '\0');
  EXPECT_EQ(d.take_partial(h, out.data()), 300u);
  EXPECT_EQ(out.substr(0, 300), std::string(300, 'x'));
  EXPECT_EQ(d.buffered(), 0u);  // the rest of the payload is the caller's to receive
  // The next frame after the payload the caller received decodes normally.
  d.feed(std::string("\x12\x01\x00\x00\x00\x00\x00\x00", 8));
  std::string_view payload;
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(h.type, FrameType::kResponseEnd);
}

TEST(WireProtocol, ResponseFileRoundTripsSixtyFourBitOffsets) {
  std::string out;
  append_response_file(out, (std::uint64_t{5} << 32) + 7, 10u << 20);
  FrameDecoder d;
  d.feed(out);
  FrameHeader h;
  std::string_view payload;
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(h.type, FrameType::kResponseFile);
  std::uint64_t offset = 0, length = 0;
  ASSERT_TRUE(parse_response_file(payload, offset, length));
  EXPECT_EQ(offset, (std::uint64_t{5} << 32) + 7);
  EXPECT_EQ(length, 10u << 20);
}

TEST(WireProtocol, ResponseFileForNothingOrBeyondOffTIsRefused) {
  std::string zero;
  append_response_file(zero, 0, 0);
  std::uint64_t offset = 0, length = 0;
  EXPECT_FALSE(parse_response_file(std::string_view(zero).substr(kHeaderSize), offset, length));
  std::string huge;
  append_response_file(huge, 0, ~std::uint64_t{0});
  EXPECT_FALSE(parse_response_file(std::string_view(huge).substr(kHeaderSize), offset, length));
}

TEST(WireProtocol, RingAndResponseRingRoundTrip) {
  std::string out;
  append_ring(out, 256u << 10);
  unsigned char frame[kHeaderSize + kResponseRingPayload];
  encode_response_ring(192u << 10, 64u << 10, frame);
  out.append(reinterpret_cast<const char*>(frame), sizeof frame);
  FrameDecoder d;
  d.feed(out);
  FrameHeader h;
  std::string_view payload;
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(h.type, FrameType::kRing);
  std::uint32_t size = 0;
  ASSERT_TRUE(parse_ring(payload, size));
  EXPECT_EQ(size, 256u << 10);
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(h.type, FrameType::kResponseRing);
  std::uint32_t offset = 0, length = 0;
  ASSERT_TRUE(parse_response_ring(payload, offset, length));
  EXPECT_EQ(offset, 192u << 10);
  EXPECT_EQ(length, 64u << 10);
}

TEST(WireProtocol, RingOfNoSizeOddSizeOrTooLargeIsRefused) {
  std::uint32_t size = 0;
  for (const std::uint32_t bad : {0u, 4097u, kRingMaxData + kRingHeaderSize}) {
    std::string out;
    append_ring(out, bad);
    EXPECT_FALSE(parse_ring(std::string_view(out).substr(kHeaderSize), size)) << bad;
  }
}

TEST(WireProtocol, ResponseRingForNothingOrPastTheLargestRingIsRefused) {
  std::uint32_t offset = 0, length = 0;
  const std::pair<std::uint32_t, std::uint32_t> bad[] = {
      {0, 0}, {0, kMaxBodyPayload + 1}, {kRingMaxData, 1}, {0xffffffffu, 2}};
  for (const auto& [o, l] : bad) {
    unsigned char frame[kHeaderSize + kResponseRingPayload];
    encode_response_ring(o, l, frame);
    const std::string_view payload(reinterpret_cast<const char*>(frame) + kHeaderSize,
                                   kResponseRingPayload);
    EXPECT_FALSE(parse_response_ring(payload, offset, length)) << o << " " << l;
  }
  EXPECT_FALSE(parse_response_ring("1234567", offset, length));
}

TEST(FrameDecoder, RingFramesOfAnotherSizeAreRefusedFromTheirHeader) {
  const unsigned char header[kHeaderSize] = {23, 0, 0, 0, 9, 0, 0, 0};
  FrameHeader h;
  EXPECT_EQ(decode_header(header, h), DecodeError::kTooLong);
}

TEST(WireProtocol, GoAwayWithAPayloadIsRefused) {
  const unsigned char header[kHeaderSize] = {20, 0, 0, 0, 1, 0, 0, 0};
  FrameHeader h;
  EXPECT_EQ(decode_header(header, h), DecodeError::kNonEmptyEnd);
}

TEST(WireProtocol, PairsRoundTripIncludingEmptyAndBinary) {
  const std::pair<std::string_view, std::string_view> in[] = {
      {"REQUEST_METHOD", "GET"}, {"", ""}, {"X", std::string_view("\0\xff", 2)}};
  std::string payload;
  append_pairs(payload, in);
  Pairs out;
  ASSERT_TRUE(parse_pairs(payload, out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].first, "REQUEST_METHOD");
  EXPECT_EQ(out[0].second, "GET");
  EXPECT_EQ(out[2].second, std::string_view("\0\xff", 2));
}

TEST(WireProtocol, PairsWithTrailingBytesAreRefused) {
  const std::pair<std::string_view, std::string_view> in[] = {{"a", "b"}};
  std::string payload;
  append_pairs(payload, in);
  payload.push_back('x');
  Pairs out;
  EXPECT_FALSE(parse_pairs(payload, out));
}

TEST(WireProtocol, PairsWithHugeCountAreRefusedWithoutAllocating) {
  std::string payload = {'\xff', '\xff', '\xff', '\x7f'};
  Pairs out;
  EXPECT_FALSE(parse_pairs(payload, out));
}

TEST(WireProtocol, TruncatedPairIsRefused) {
  const std::pair<std::string_view, std::string_view> in[] = {{"key", "value"}};
  std::string payload;
  append_pairs(payload, in);
  payload.pop_back();
  Pairs out;
  EXPECT_FALSE(parse_pairs(payload, out));
}

TEST(WireProtocol, ResponseHeadRoundTrips) {
  const std::pair<std::string_view, std::string_view> headers[] = {
      {"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}};
  std::string out;
  append_response_head(out, 404, "Not Found", headers);
  FrameDecoder d;
  d.feed(out);
  FrameHeader h;
  std::string_view payload;
  ASSERT_TRUE(d.next(h, payload));
  ResponseHead head;
  ASSERT_TRUE(parse_response_head(payload, head));
  EXPECT_EQ(head.status, 404);
  EXPECT_EQ(head.reason, "Not Found");
  ASSERT_EQ(head.headers.size(), 3u);
  EXPECT_EQ(head.headers[2].second, "b=2");
}

TEST(WireProtocol, ResponseHeadViewIteratesTheHeadersInPlace) {
  const std::string binary("v\0\xff", 3);
  const std::pair<std::string_view, std::string_view> headers[] = {
      {"Set-Cookie", "a=1"}, {"X-Empty", ""}, {"X-Binary", binary}};
  std::string out;
  append_response_head(out, 201, "", headers);
  const std::string_view payload = std::string_view(out).substr(kHeaderSize);
  ResponseHeadView head;
  ASSERT_TRUE(parse_response_head(payload, head));
  EXPECT_EQ(head.status, 201);
  EXPECT_EQ(head.reason, "");
  std::vector<std::pair<std::string_view, std::string_view>> seen(head.headers.begin(),
                                                                  head.headers.end());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], headers[0]);
  EXPECT_EQ(seen[1], headers[1]);
  EXPECT_EQ(seen[2].second, binary);
  EXPECT_GE(seen[2].second.data(), payload.data());  // views into the payload, not copies
}

TEST(WireProtocol, ResponseHeadViewRefusesWhatTheVectorParserRefuses) {
  const std::pair<std::string_view, std::string_view> headers[] = {{"A", "b"}};
  std::string out;
  append_response_head(out, 200, "OK", headers);
  const std::string payload = out.substr(kHeaderSize);
  ResponseHeadView view;
  for (std::size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(parse_response_head(std::string_view(payload).substr(0, n), view)) << n;
  }
  EXPECT_FALSE(parse_response_head(payload + "x", view));
  std::string no_reason = payload;
  no_reason[2 + 4 + 4] = 1;  // the first pair's key must be empty: give it a length
  EXPECT_FALSE(parse_response_head(no_reason, view));
}

TEST(WireProtocol, PairWriterWritesWhatAppendPairsAppends) {
  const std::pair<std::string_view, std::string_view> pairs[] = {
      {"REQUEST_METHOD", "GET"}, {"EMPTY", ""}, {"", "no key"}};
  std::string expected;
  append_pairs(expected, pairs);
  std::size_t size = kPairsCountSize;
  for (const auto& [k, v] : pairs) size += pair_size(k, v);
  ASSERT_EQ(size, expected.size());
  std::string buffer(size, '?');
  PairWriter w(buffer.data(), 3);
  for (const auto& [k, v] : pairs) w.add(k, v);
  EXPECT_EQ(w.end(), buffer.data() + size);
  EXPECT_EQ(buffer, expected);
}

TEST(WireProtocol, ErrorRoundTrips) {
  std::string out;
  append_error(out, 503, "WSGID0301", "daemon is draining");
  FrameDecoder d;
  d.feed(out);
  FrameHeader h;
  std::string_view payload;
  ASSERT_TRUE(d.next(h, payload));
  ErrorInfo e;
  ASSERT_TRUE(parse_error(payload, e));
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.code, "WSGID0301");
  EXPECT_EQ(e.message, "daemon is draining");
}

TEST(FrameDecoder, AssemblesFramesFedOneByteAtATime) {
  std::string stream;
  append_frame(stream, FrameType::kRequestBody, 0, "hello");
  append_frame(stream, FrameType::kRequestEnd, 0, "");
  FrameDecoder d;
  FrameHeader h;
  std::string_view payload;
  std::vector<FrameType> seen;
  std::string body;
  for (char c : stream) {
    d.feed(std::string_view(&c, 1));
    while (d.next(h, payload)) {
      seen.push_back(h.type);
      body.append(payload);
    }
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], FrameType::kRequestBody);
  EXPECT_EQ(seen[1], FrameType::kRequestEnd);
  EXPECT_EQ(body, "hello");
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(FrameDecoder, AnIdleDecoderGivesBackABufferALargeFrameGrew) {
  std::string stream;
  append_frame(stream, FrameType::kResponseBody, 0, std::string(300000, 'b'));
  FrameDecoder d;
  d.feed(stream);
  FrameHeader h;
  std::string_view payload;
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_GE(d.prepare(1).size(), 300000u);  // grown for the large frame, and still held
  d.shrink_if_idle(65536);
  EXPECT_LT(d.prepare(1).size(), 65536u);  // given back: the next use starts small

  // Something buffered (the start of the next frame) is never thrown away.
  std::string next;
  append_frame(next, FrameType::kRequestBody, 0, std::string(200000, 'c'));
  d.feed(std::string_view(next).substr(0, 100000));
  d.shrink_if_idle(65536);
  d.feed(std::string_view(next).substr(100000));
  ASSERT_TRUE(d.next(h, payload));
  EXPECT_EQ(payload, std::string(200000, 'c'));
}

// A storage that counts what it hands out, like the worker's bucket-allocator one.
struct CountingStorage {
  int live = 0;
  std::vector<std::size_t> sizes;
  BufferStorage storage() {
    BufferStorage s;
    s.context = this;
    s.allocate = [](void* c, std::size_t n) {
      auto* self = static_cast<CountingStorage*>(c);
      ++self->live;
      self->sizes.push_back(n);
      return new char[n];
    };
    s.release = [](void* c, char* p) {
      --static_cast<CountingStorage*>(c)->live;
      delete[] p;
    };
    s.first_capacity = 8000;
    return s;
  }
};

TEST(FrameDecoder, BuffersComeFromAndGoBackToItsStorage) {
  CountingStorage counting;
  {
    FrameDecoder d(counting.storage());
    EXPECT_EQ(d.prepare(kHeaderSize).size(), 8000u);  // the first buffer: first_capacity
    std::string stream;
    append_frame(stream, FrameType::kResponseHead, 0, std::string(20000, 'h'));
    d.feed(stream);  // grows, through the storage, and gives the smaller buffer back
    EXPECT_EQ(counting.live, 1);
    FrameHeader h;
    std::string_view payload;
    ASSERT_TRUE(d.next(h, payload));
    EXPECT_EQ(payload.size(), 20000u);
    FrameDecoder moved(std::move(d));
    EXPECT_EQ(counting.live, 1);
    d = FrameDecoder(counting.storage());
    d.prepare(1);
    EXPECT_EQ(counting.live, 2);
    d = std::move(moved);  // releases d's own buffer, takes moved's
    EXPECT_EQ(counting.live, 1);
  }
  EXPECT_EQ(counting.live, 0);
  EXPECT_EQ(counting.sizes.front(), 8000u);
}

TEST(FrameDecoder, AStorageWithoutReleaseKeepsWhatItHandedOut) {
  // Like the worker's request pool: the decoder grows into new blocks and frees none of them
  // (a delete[] of this arena's memory would abort).
  struct Bump {
    alignas(16) char arena[65536];
    std::size_t used = 0;
  } bump;
  BufferStorage storage;
  storage.context = &bump;
  storage.allocate = [](void* c, std::size_t n) {
    auto* b = static_cast<Bump*>(c);
    char* p = b->arena + b->used;
    b->used += n;
    return p;
  };
  storage.first_capacity = 2048;
  {
    FrameDecoder d(storage);
    std::string stream;
    append_frame(stream, FrameType::kResponseHead, 0, std::string(5000, 'h'));
    d.feed(std::string_view(stream).substr(0, 1000));  // into the first buffer
    d.feed(std::string_view(stream).substr(1000));     // grows
    FrameHeader h;
    std::string_view payload;
    ASSERT_TRUE(d.next(h, payload));
    EXPECT_EQ(payload, std::string(5000, 'h'));
  }
  EXPECT_GE(bump.used, 2048u + 5008u);
  EXPECT_LE(bump.used, sizeof bump.arena);
}

TEST(FrameDecoder, UnknownTypeIsAnError) {
  const char bytes[8] = {99, 0, 0, 0, 0, 0, 0, 0};
  FrameDecoder d;
  d.feed(std::string_view(bytes, 8));
  FrameHeader h;
  std::string_view payload;
  EXPECT_FALSE(d.next(h, payload));
  EXPECT_EQ(d.error(), DecodeError::kUnknownType);
}

TEST(FrameDecoder, OversizedBodyFrameIsRefusedFromItsHeader) {
  unsigned char header[kHeaderSize];
  encode_header(FrameType::kRequestBody, 0, kMaxBodyPayload + 1, header);
  FrameDecoder d;
  d.feed(std::string_view(reinterpret_cast<char*>(header), kHeaderSize));
  FrameHeader h;
  std::string_view payload;
  EXPECT_FALSE(d.next(h, payload));
  EXPECT_EQ(d.error(), DecodeError::kTooLong);
}

TEST(FrameDecoder, EndFrameWithPayloadIsRefused) {
  unsigned char header[kHeaderSize];
  encode_header(FrameType::kResponseEnd, 0, 1, header);
  FrameHeader h;
  EXPECT_EQ(decode_header(header, h), DecodeError::kNonEmptyEnd);
}

TEST(FrameDecoder, EmptyBodyFrameIsRefused) {
  unsigned char header[kHeaderSize];
  encode_header(FrameType::kResponseBody, 0, 0, header);
  FrameHeader h;
  EXPECT_EQ(decode_header(header, h), DecodeError::kEmptyBody);
}

TEST(FrameDecoder, ReservedBitsAreRefused) {
  unsigned char header[kHeaderSize];
  encode_header(FrameType::kRequestEnd, 0, 0, header);
  header[3] = 1;
  FrameHeader h;
  EXPECT_EQ(decode_header(header, h), DecodeError::kReservedBitsSet);
}

}  // namespace
}  // namespace wsgid::wire
