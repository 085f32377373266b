#include "wire_protocol.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace wsgid::wire {
namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(const unsigned char* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

std::uint16_t get_u16(const unsigned char* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

// A bounds-checked reader over a payload.
struct Reader {
  std::string_view data;
  std::size_t pos = 0;

  bool u16(std::uint16_t& v) {
    if (data.size() - pos < 2) return false;
    v = get_u16(reinterpret_cast<const unsigned char*>(data.data() + pos));
    pos += 2;
    return true;
  }
  bool u32(std::uint32_t& v) {
    if (data.size() - pos < 4) return false;
    v = get_u32(reinterpret_cast<const unsigned char*>(data.data() + pos));
    pos += 4;
    return true;
  }
  bool bytes(std::uint32_t n, std::string_view& v) {
    if (data.size() - pos < n) return false;
    v = data.substr(pos, n);
    pos += n;
    return true;
  }
  bool done() const { return pos == data.size(); }
};

// Walks the `count` pairs of a list whose count was just read, checking every length against
// the payload and handing each pair to `each`: one pass, whether the pairs are kept or not.
template <typename Each>
bool walk_pairs(Reader& r, std::uint32_t count, Each&& each) {
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t klen = 0, vlen = 0;
    std::string_view k, v;
    if (!r.u32(klen) || !r.bytes(klen, k) || !r.u32(vlen) || !r.bytes(vlen, v)) return false;
    each(k, v);
  }
  return true;
}

// Checks a pairs list without keeping anything: its count, and where the pairs start.
bool check_pairs(Reader& r, PairList& out) {
  std::uint32_t count = 0;
  if (!r.u32(count)) return false;
  const std::size_t start = r.pos;
  if (!walk_pairs(r, count, [](std::string_view, std::string_view) {})) return false;
  out = PairList(r.data.substr(start, r.pos - start), count);
  return true;
}

bool read_pairs(Reader& r, Pairs& out) {
  std::uint32_t count = 0;
  if (!r.u32(count)) return false;
  // Each pair needs at least 8 bytes: refuse counts the payload cannot hold before reserving.
  if (count > (r.data.size() - r.pos) / 8) return false;
  out.clear();
  out.reserve(count);
  return walk_pairs(r, count,
                    [&out](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
}

std::uint32_t max_payload(FrameType t) {
  switch (t) {
    case FrameType::kHello:
      return kHelloPayloadSize;
    case FrameType::kRequestHead:
    case FrameType::kResponseHead:
      return kMaxHeadPayload;
    case FrameType::kRequestBody:
    case FrameType::kResponseBody:
      return kMaxBodyPayload;
    case FrameType::kRequestEnd:
    case FrameType::kResponseEnd:
    case FrameType::kGoAway:
      return 0;
    case FrameType::kError:
      return kMaxErrorPayload;
    case FrameType::kResponseFile:
      return kResponseFilePayload;
    case FrameType::kRing:
      return kRingPayload;
    case FrameType::kResponseRing:
      return kResponseRingPayload;
  }
  return 0;
}

bool known_type(std::uint8_t t) {
  switch (static_cast<FrameType>(t)) {
    case FrameType::kHello:
    case FrameType::kRequestHead:
    case FrameType::kRequestBody:
    case FrameType::kRequestEnd:
    case FrameType::kResponseHead:
    case FrameType::kResponseBody:
    case FrameType::kResponseEnd:
    case FrameType::kError:
    case FrameType::kGoAway:
    case FrameType::kResponseFile:
    case FrameType::kRing:
    case FrameType::kResponseRing:
      return true;
  }
  return false;
}

}  // namespace

std::string_view describe(DecodeError e) {
  switch (e) {
    case DecodeError::kNone:
      return "no error";
    case DecodeError::kUnknownType:
      return "unknown frame type";
    case DecodeError::kReservedBitsSet:
      return "reserved header bits set";
    case DecodeError::kTooLong:
      return "frame longer than its type allows";
    case DecodeError::kEmptyBody:
      return "empty body frame";
    case DecodeError::kNonEmptyEnd:
      return "end frame with a payload";
    case DecodeError::kMalformed:
      return "malformed payload";
  }
  return "unknown error";
}

void encode_header(FrameType type, std::uint8_t flags, std::uint32_t length,
                   unsigned char out[kHeaderSize]) {
  out[0] = static_cast<unsigned char>(type);
  out[1] = flags;
  out[2] = 0;
  out[3] = 0;
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<unsigned char>((length >> (8 * i)) & 0xff);
}

DecodeError decode_header(const unsigned char in[kHeaderSize], FrameHeader& out) {
  if (!known_type(in[0])) return DecodeError::kUnknownType;
  if (in[2] != 0 || in[3] != 0) return DecodeError::kReservedBitsSet;
  out.type = static_cast<FrameType>(in[0]);
  out.flags = in[1];
  out.length = get_u32(in + 4);
  const std::uint32_t max = max_payload(out.type);
  if (max == 0 && out.length != 0) return DecodeError::kNonEmptyEnd;
  if (out.length > max) return DecodeError::kTooLong;
  if ((out.type == FrameType::kRequestBody || out.type == FrameType::kResponseBody) &&
      out.length == 0)
    return DecodeError::kEmptyBody;
  return DecodeError::kNone;
}

void append_pairs(std::string& out,
                  std::span<const std::pair<std::string_view, std::string_view>> pairs) {
  std::size_t size = kPairsCountSize;
  for (const auto& [k, v] : pairs) size += pair_size(k, v);
  const std::size_t at = out.size();
  out.resize(at + size);
  PairWriter writer(out.data() + at, static_cast<std::uint32_t>(pairs.size()));
  for (const auto& [k, v] : pairs) writer.add(k, v);
}

bool parse_pairs(std::string_view payload, Pairs& out) {
  Reader r{payload};
  return read_pairs(r, out) && r.done();
}

namespace {

char* put_u32(char* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) *out++ = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

}  // namespace

PairWriter::PairWriter(char* out, std::uint32_t count) : out_(put_u32(out, count)) {}

void PairWriter::add(std::string_view key, std::string_view value) {
  out_ = put_u32(out_, static_cast<std::uint32_t>(key.size()));
  if (!key.empty()) std::memcpy(out_, key.data(), key.size());
  out_ += key.size();
  out_ = put_u32(out_, static_cast<std::uint32_t>(value.size()));
  if (!value.empty()) std::memcpy(out_, value.data(), value.size());
  out_ += value.size();
}

std::pair<std::string_view, std::string_view> PairList::iterator::operator*() const {
  const auto* p = reinterpret_cast<const unsigned char*>(at_);
  const std::uint32_t klen = get_u32(p);
  const std::uint32_t vlen = get_u32(p + 4 + klen);
  return {std::string_view(at_ + 4, klen), std::string_view(at_ + 8 + klen, vlen)};
}

PairList::iterator& PairList::iterator::operator++() {
  const auto* p = reinterpret_cast<const unsigned char*>(at_);
  const std::uint32_t klen = get_u32(p);
  const std::uint32_t vlen = get_u32(p + 4 + klen);
  at_ += 8 + std::size_t{klen} + vlen;
  --left_;
  return *this;
}

void append_frame(std::string& out, FrameType type, std::uint8_t flags, std::string_view payload) {
  unsigned char header[kHeaderSize];
  encode_header(type, flags, static_cast<std::uint32_t>(payload.size()), header);
  out.append(reinterpret_cast<const char*>(header), kHeaderSize);
  out.append(payload);
}

void encode_hello(const unsigned char secret[kSecretSize], unsigned char out[kHelloFrameSize]) {
  std::string payload;
  put_u32(payload, kMagic);
  put_u16(payload, kVersion);
  put_u16(payload, 0);
  encode_header(FrameType::kHello, 0, kHelloPayloadSize, out);
  std::memcpy(out + kHeaderSize, payload.data(), payload.size());
  std::memcpy(out + kHeaderSize + payload.size(), secret, kSecretSize);
}

void append_hello(std::string& out, const unsigned char secret[kSecretSize]) {
  unsigned char frame[kHelloFrameSize];
  encode_hello(secret, frame);
  out.append(reinterpret_cast<const char*>(frame), sizeof frame);
  explicit_bzero(frame, sizeof frame);
}

bool parse_hello(std::string_view payload, Hello& out) {
  Reader r{payload};
  std::uint32_t magic = 0;
  std::uint16_t reserved = 0;
  out = Hello{};
  if (!r.u32(magic) || magic != kMagic || !r.u16(out.version) || !r.u16(reserved)) return false;
  if (out.version != kVersion || reserved != 0 || payload.size() != kHelloPayloadSize) {
    return false;
  }
  out.secret = payload.substr(8);
  return true;
}

bool hello_proves(const Hello& hello, const unsigned char secret[kSecretSize]) {
  if (hello.secret.size() != kSecretSize) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < kSecretSize; ++i) {
    diff |= static_cast<unsigned char>(static_cast<unsigned char>(hello.secret[i]) ^ secret[i]);
  }
  // Through a volatile, so the compiler cannot turn the loop into an early-exit compare.
  volatile unsigned char result = diff;
  return result == 0;
}

void append_response_head(std::string& out, std::uint16_t status, std::string_view reason,
                          std::span<const std::pair<std::string_view, std::string_view>> headers) {
  std::string payload;
  put_u16(payload, status);
  put_u32(payload, static_cast<std::uint32_t>(headers.size() + 1));
  put_u32(payload, 0);
  put_u32(payload, static_cast<std::uint32_t>(reason.size()));
  payload.append(reason);
  for (const auto& [k, v] : headers) {
    put_u32(payload, static_cast<std::uint32_t>(k.size()));
    payload.append(k);
    put_u32(payload, static_cast<std::uint32_t>(v.size()));
    payload.append(v);
  }
  append_frame(out, FrameType::kResponseHead, 0, payload);
}

bool parse_response_head(std::string_view payload, ResponseHeadView& out) {
  Reader r{payload};
  PairList all;
  if (!r.u16(out.status) || out.status < 100 || out.status > 999) return false;
  if (!check_pairs(r, all) || !r.done() || all.size() == 0) return false;
  const auto [empty, reason] = *all.begin();
  if (!empty.empty()) return false;
  out.reason = reason;
  // The headers are the pairs after the reason's, up to the end of the payload.
  const std::size_t after_reason =
      static_cast<std::size_t>(reason.data() - payload.data()) + reason.size();
  out.headers = PairList(payload.substr(after_reason), all.size() - 1);
  return true;
}

bool parse_response_head(std::string_view payload, ResponseHead& out) {
  ResponseHeadView view;
  if (!parse_response_head(payload, view)) return false;
  out.status = view.status;
  out.reason = view.reason;
  out.headers.clear();
  out.headers.reserve(view.headers.size());
  for (const auto& header : view.headers) out.headers.push_back(header);
  return true;
}

void append_response_file(std::string& out, std::uint64_t offset, std::uint64_t length) {
  std::string payload;
  put_u32(payload, static_cast<std::uint32_t>(offset));
  put_u32(payload, static_cast<std::uint32_t>(offset >> 32));
  put_u32(payload, static_cast<std::uint32_t>(length));
  put_u32(payload, static_cast<std::uint32_t>(length >> 32));
  append_frame(out, FrameType::kResponseFile, 0, payload);
}

bool parse_response_file(std::string_view payload, std::uint64_t& offset, std::uint64_t& length) {
  Reader r{payload};
  std::uint32_t o_lo = 0, o_hi = 0, l_lo = 0, l_hi = 0;
  if (!r.u32(o_lo) || !r.u32(o_hi) || !r.u32(l_lo) || !r.u32(l_hi) || !r.done()) return false;
  offset = (std::uint64_t{o_hi} << 32) | o_lo;
  length = (std::uint64_t{l_hi} << 32) | l_lo;
  // Both must fit an off_t, and a frame for nothing is not sent.
  constexpr std::uint64_t kMax = std::uint64_t{1} << 62;
  return length > 0 && offset < kMax && length < kMax;
}

void append_ring(std::string& out, std::uint32_t data_size) {
  std::string payload;
  put_u32(payload, data_size);
  append_frame(out, FrameType::kRing, 0, payload);
}

bool parse_ring(std::string_view payload, std::uint32_t& data_size) {
  Reader r{payload};
  if (!r.u32(data_size) || !r.done()) return false;
  return data_size > 0 && data_size <= kRingMaxData && data_size % kRingHeaderSize == 0;
}

void encode_response_ring(std::uint32_t offset, std::uint32_t length,
                          unsigned char out[kHeaderSize + kResponseRingPayload]) {
  encode_header(FrameType::kResponseRing, 0, kResponseRingPayload, out);
  for (int i = 0; i < 4; ++i) {
    out[kHeaderSize + i] = static_cast<unsigned char>((offset >> (8 * i)) & 0xff);
    out[kHeaderSize + 4 + i] = static_cast<unsigned char>((length >> (8 * i)) & 0xff);
  }
}

bool parse_response_ring(std::string_view payload, std::uint32_t& offset, std::uint32_t& length) {
  Reader r{payload};
  if (!r.u32(offset) || !r.u32(length) || !r.done()) return false;
  return length > 0 && length <= kMaxBodyPayload && offset <= kRingMaxData - length;
}

void append_error(std::string& out, std::uint16_t status, std::string_view code,
                  std::string_view message) {
  std::string payload;
  put_u16(payload, status);
  if (message.size() > kMaxErrorPayload / 2) message = message.substr(0, kMaxErrorPayload / 2);
  const std::pair<std::string_view, std::string_view> pairs[] = {{"code", code},
                                                                 {"message", message}};
  append_pairs(payload, pairs);
  append_frame(out, FrameType::kError, 0, payload);
}

bool parse_error(std::string_view payload, ErrorInfo& out) {
  Reader r{payload};
  Pairs pairs;
  if (!r.u16(out.status) || !read_pairs(r, pairs) || !r.done()) return false;
  if (out.status < 400 || out.status > 599) return false;
  out.code = {};
  out.message = {};
  for (const auto& [k, v] : pairs) {
    if (k == "code") out.code = v;
    if (k == "message") out.message = v;
  }
  return true;
}

void FrameDecoder::feed(std::string_view bytes) {
  if (error_ != DecodeError::kNone || bytes.empty()) return;
  const std::span<char> space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

FrameDecoder::FrameDecoder(FrameDecoder&& other) noexcept
    : storage_(other.storage_),
      buffer_(std::exchange(other.buffer_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      begin_(std::exchange(other.begin_, 0)),
      end_(std::exchange(other.end_, 0)),
      error_(std::exchange(other.error_, DecodeError::kNone)) {}

FrameDecoder& FrameDecoder::operator=(FrameDecoder&& other) noexcept {
  if (this != &other) {
    release();
    storage_ = other.storage_;
    buffer_ = std::exchange(other.buffer_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    begin_ = std::exchange(other.begin_, 0);
    end_ = std::exchange(other.end_, 0);
    error_ = std::exchange(other.error_, DecodeError::kNone);
  }
  return *this;
}

char* FrameDecoder::allocate(std::size_t size) {
  if (storage_.allocate) return storage_.allocate(storage_.context, size);
  return new char[size];
}

void FrameDecoder::release() {
  if (!buffer_) return;
  if (!storage_.allocate) {
    delete[] buffer_;
  } else if (storage_.release) {
    storage_.release(storage_.context, buffer_);
  }
  buffer_ = nullptr;
  capacity_ = 0;
}

std::span<char> FrameDecoder::prepare(std::size_t min_free) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (capacity_ - end_ < min_free) {
    const std::size_t used = end_ - begin_;
    if (begin_ > 0 && capacity_ - used >= min_free && begin_ >= used) {
      // Consumed bytes dominate: slide the rest down instead of growing.
      std::memmove(buffer_, buffer_ + begin_, used);
    } else {
      const std::size_t capacity =
          std::max({used + min_free, capacity_ * 2, storage_.first_capacity});
      char* bigger = allocate(capacity);
      if (used > 0) std::memcpy(bigger, buffer_ + begin_, used);
      release();
      buffer_ = bigger;
      capacity_ = capacity;
    }
    begin_ = 0;
    end_ = used;
  }
  return {buffer_ + end_, capacity_ - end_};
}

void FrameDecoder::commit(std::size_t n) { end_ += std::min(n, capacity_ - end_); }

void FrameDecoder::shrink_if_idle(std::size_t keep) {
  if (begin_ != end_ || capacity_ <= keep) return;
  release();
  begin_ = end_ = 0;
}

bool FrameDecoder::peek_header(FrameHeader& header) {
  if (error_ != DecodeError::kNone) return false;
  if (buffered() < kHeaderSize) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_ + begin_);
  error_ = decode_header(p, header);
  return error_ == DecodeError::kNone;
}

bool FrameDecoder::next(FrameHeader& header, std::string_view& payload) {
  if (!peek_header(header)) return false;
  if (buffered() - kHeaderSize < header.length) return false;
  payload = std::string_view(buffer_ + begin_ + kHeaderSize, header.length);
  begin_ += kHeaderSize + header.length;
  return true;
}

std::size_t FrameDecoder::take_partial(const FrameHeader& header, char* out) {
  const std::size_t n = std::min<std::size_t>(buffered() - kHeaderSize, header.length);
  if (n > 0) std::memcpy(out, buffer_ + begin_ + kHeaderSize, n);
  begin_ += kHeaderSize + n;
  return n;
}

}  // namespace wsgid::wire
