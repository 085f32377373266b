// The worker <-> daemon protocol: framed, versioned, in both directions, over a UNIX stream
// socket. A response is complete only when its ResponseEnd frame arrives, so a daemon that
// dies mid-body is visible to the worker (and so to the client) instead of looking like a
// well-formed short response, which is what a body that ends at socket close gives mod_wsgi.
//
// Every frame is an 8-byte header then `length` payload bytes:
//   u8 type | u8 flags | u16 reserved (0) | u32 length (little-endian)
//
// A connection carries one exchange at a time, and may carry many in turn (protocol version 2):
//   worker:  Hello (first frame of a connection only), RequestHead, RequestBody*, RequestEnd
//   daemon:  ResponseHead, (ResponseBody | ResponseFile | Ring | ResponseRing)*, ResponseEnd
//            or    Error
// The Hello proves the daemon group's secret (version 3): a daemon reads nothing else from a
// connection until it has, so a process that is not one of httpd's workers cannot send it a
// request (docs/security.md, "Daemon connections").
// Body frames in both directions may interleave: the daemon may answer before it has read the
// whole request body, and the worker keeps reading the response while it is still sending.
//
// Where one exchange ends and the next begins is explicit, never inferred from timing:
// - ResponseEnd with flag kKeepAlive: the daemon will read the rest of this request's body up
//   to RequestEnd and then wait for the next RequestHead on this connection. Without the flag
//   the daemon closes after this exchange. The worker sends the next RequestHead only after a
//   kKeepAlive ResponseEnd, and only if it had already sent RequestEnd and has no byte of the
//   daemon's left over; otherwise it closes.
// - Error always ends the connection.
// - GoAway (daemon, between exchanges): "I have read nothing you sent after the last
//   ResponseEnd and never will; this connection is closing." A daemon that drains sends it on
//   every idle connection. A worker that gets GoAway instead of a response knows no part of its
//   request reached the application and sends it again on a new connection. Any other failure
//   before a response (EOF, reset) proves nothing, so the worker does not retry it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsgid::wire {

inline constexpr std::uint32_t kMagic = 0x44475357;  // "WSGD" as little-endian bytes
// 2: persistent connections, GoAway. 3: Hello carries the group's secret. 4: response bodies
// through a shared ring (Ring, ResponseRing).
inline constexpr std::uint16_t kVersion = 4;
inline constexpr std::size_t kHeaderSize = 8;
// The per-group secret a worker proves in its Hello (docs/security.md, "Daemon connections").
inline constexpr std::size_t kSecretSize = 32;  // WSGID_CONNECTION_SECRET_SIZE in python_abi.h
inline constexpr std::uint32_t kHelloPayloadSize = 8 + kSecretSize;
inline constexpr std::size_t kHelloFrameSize = kHeaderSize + kHelloPayloadSize;

// Upper bounds on payloads. Heads are bounded well above httpd's own header limits; body
// frames are bounded so that a reader never needs more than one frame of buffer.
inline constexpr std::uint32_t kMaxHeadPayload = 4u << 20;
inline constexpr std::uint32_t kMaxBodyPayload = 1u << 20;
inline constexpr std::uint32_t kMaxErrorPayload = 64u << 10;

enum class FrameType : std::uint8_t {
  // worker -> daemon
  kHello = 1,        // u32 magic, u16 version, u16 reserved, 32 bytes: the group's secret
  kRequestHead = 2,  // pairs: the CGI/WSGI environ strings for this request
  kRequestBody = 3,  // raw body bytes, length > 0
  kRequestEnd = 4,   // empty: no more body for this request
  // daemon -> worker
  kResponseHead = 16,  // u16 status, then pairs: first pair is ("", reason phrase), then headers
  kResponseBody = 17,  // raw body bytes, length > 0
  kResponseEnd = 18,   // empty: response complete
  kError = 19,         // u16 http status, then pairs: ("code", WSGIDxxxx), ("message", text)
  kGoAway = 20,        // empty: closing; nothing sent since the last ResponseEnd was read
  kResponseFile = 21,  // u64 offset, u64 length: body bytes from the file whose descriptor
                       // came with this frame (SCM_RIGHTS, one per frame, in frame order)
  kRing = 22,          // u32 data size: the connection's ring (its memfd came with this frame,
                       // like ResponseFile's descriptor); once per response, before its first
                       // ResponseRing
  kResponseRing = 23,  // u32 offset, u32 length: body bytes at that offset of the ring's data
};

// The ring (docs/architecture.md, "Response bodies through the ring"): one sealed memfd per
// connection, made by the daemon the first time a response body chunk is large and reused for
// every later response on the connection. Its first kRingHeaderSize bytes hold one u32 at
// offset 0, the count of bytes the worker has released (modulo 2^32), which only the worker
// adds to, after httpd's output filters are done with them, and on which the daemon waits
// (futex) when the ring is full. The data area follows; the daemon writes body bytes only into
// its free part and names them in ResponseRing frames, in ring order. The worker trusts nothing
// in the memfd: it reads only body bytes (at offsets it checked against its own mapping) and
// never reads the counter.
inline constexpr std::uint32_t kRingHeaderSize = 4096;
inline constexpr std::uint32_t kRingMaxData = 4u << 20;
inline constexpr std::size_t kRingPayload = 4;
inline constexpr std::size_t kResponseRingPayload = 8;
void append_ring(std::string& out, std::uint32_t data_size);
// False unless 0 < size <= kRingMaxData and size is a multiple of the header (page) size.
bool parse_ring(std::string_view payload, std::uint32_t& data_size);
void encode_response_ring(std::uint32_t offset, std::uint32_t length,
                          unsigned char out[kHeaderSize + kResponseRingPayload]);
// False unless 0 < length <= kMaxBodyPayload and offset + length <= kRingMaxData; the worker
// checks the pair against its own mapping's size as well.
bool parse_response_ring(std::string_view payload, std::uint32_t& offset, std::uint32_t& length);

inline constexpr std::uint8_t kKeepAlive = 0x01;  // ResponseEnd flag: the connection stays open

struct FrameHeader {
  FrameType type{};
  std::uint8_t flags = 0;
  std::uint32_t length = 0;
};

enum class DecodeError {
  kNone,
  kUnknownType,
  kReservedBitsSet,
  kTooLong,      // length above the bound for its type
  kEmptyBody,    // body frame with length 0
  kNonEmptyEnd,  // end frame with a payload
  kMalformed,    // payload does not parse
};

std::string_view describe(DecodeError e);

// Header encode/decode. decode_header never reads beyond kHeaderSize bytes.
void encode_header(FrameType type, std::uint8_t flags, std::uint32_t length,
                   unsigned char out[kHeaderSize]);
DecodeError decode_header(const unsigned char in[kHeaderSize], FrameHeader& out);

// A list of (key, value) byte strings: u32 count, then per pair u32 klen, key, u32 vlen, value.
using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;
void append_pairs(std::string& out,
                  std::span<const std::pair<std::string_view, std::string_view>> pairs);
// Views point into `payload`. Returns false on any inconsistency (counts, lengths, trailing bytes).
bool parse_pairs(std::string_view payload, Pairs& out);

// A pairs list encoded straight into memory the caller owns and sized with pairs_size: the
// worker builds a request head in its request pool, with no heap buffer per request.
constexpr std::size_t pair_size(std::string_view key, std::string_view value) {
  return 8 + key.size() + value.size();
}
inline constexpr std::size_t kPairsCountSize = 4;
class PairWriter {
 public:
  PairWriter(char* out, std::uint32_t count);
  void add(std::string_view key, std::string_view value);
  char* end() const { return out_; }

 private:
  char* out_;
};

// An already validated pairs list, iterated without allocating.
class PairList {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::pair<std::string_view, std::string_view>;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = value_type;
    iterator(const char* at, std::uint32_t left) : at_(at), left_(left) {}
    std::pair<std::string_view, std::string_view> operator*() const;
    iterator& operator++();
    bool operator==(const iterator& o) const { return left_ == o.left_; }

   private:
    const char* at_;
    std::uint32_t left_;
  };
  PairList() = default;
  PairList(std::string_view bytes, std::uint32_t count) : bytes_(bytes), count_(count) {}
  iterator begin() const { return {bytes_.data(), count_}; }
  iterator end() const { return {nullptr, 0}; }
  std::uint32_t size() const { return count_; }

 private:
  std::string_view bytes_;  // the pairs, after the count
  std::uint32_t count_ = 0;
};

// Whole frames appended to a buffer.
void append_frame(std::string& out, FrameType type, std::uint8_t flags, std::string_view payload);

// The whole Hello frame (header and payload) proving `secret`: built once per daemon group and
// kept, so no request formats it.
void encode_hello(const unsigned char secret[kSecretSize], unsigned char out[kHelloFrameSize]);
void append_hello(std::string& out, const unsigned char secret[kSecretSize]);
struct Hello {
  std::uint16_t version = 0;
  std::string_view secret;  // kSecretSize bytes, into the payload
};
// False when the payload is not this version's Hello; `out.version` is still set when the
// magic matched, so a daemon can tell an older worker from garbage.
bool parse_hello(std::string_view payload, Hello& out);
// Compares the secret in constant time: how long it takes says nothing about how many leading
// bytes a guess got right.
bool hello_proves(const Hello& hello, const unsigned char secret[kSecretSize]);

struct ResponseHead {
  std::uint16_t status = 0;
  std::string_view reason;
  Pairs headers;
};
void append_response_head(std::string& out, std::uint16_t status, std::string_view reason,
                          std::span<const std::pair<std::string_view, std::string_view>> headers);
bool parse_response_head(std::string_view payload, ResponseHead& out);
// The same, allocation-free: the headers stay encoded in `payload` until iterated.
struct ResponseHeadView {
  std::uint16_t status = 0;
  std::string_view reason;
  PairList headers;
};
bool parse_response_head(std::string_view payload, ResponseHeadView& out);

// wsgi.file_wrapper on a regular file: the daemon passes the descriptor instead of the bytes,
// and httpd sends them with sendfile.
inline constexpr std::size_t kResponseFilePayload = 16;
void append_response_file(std::string& out, std::uint64_t offset, std::uint64_t length);
bool parse_response_file(std::string_view payload, std::uint64_t& offset, std::uint64_t& length);

struct ErrorInfo {
  std::uint16_t status = 0;
  std::string_view code;
  std::string_view message;
};
void append_error(std::string& out, std::uint16_t status, std::string_view code,
                  std::string_view message);
bool parse_error(std::string_view payload, ErrorInfo& out);

// Where a FrameDecoder keeps its buffer: the C++ heap unless `allocate` is set. httpd's worker
// threads use their request's pool, whose memory goes back to the connection's allocator
// (bounded by MaxMemFree) instead of staying in a glibc arena per thread.
struct BufferStorage {
  void* context = nullptr;
  char* (*allocate)(void* context, std::size_t size) = nullptr;
  void (*release)(void* context, char* block) = nullptr;  // none: freed with its pool
  std::size_t first_capacity = 0;                         // the size of the first buffer, at least
};

// Incremental decoder for a byte stream: feed what arrived, take whole frames out. The
// payload view stays valid until the next feed(), prepare() or next().
//
// Bytes can be received straight into the decoder's buffer (prepare, recv into the span,
// commit), and a large body frame's payload can be taken out as it arrives (peek_header,
// take_partial) so that the caller receives the rest of it straight into its own memory:
// neither needs an intermediate copy.
class FrameDecoder {
 public:
  FrameDecoder() = default;
  explicit FrameDecoder(const BufferStorage& storage) : storage_(storage) {}
  ~FrameDecoder() { release(); }
  FrameDecoder(FrameDecoder&& other) noexcept;
  FrameDecoder& operator=(FrameDecoder&& other) noexcept;
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  void feed(std::string_view bytes);
  // Free space for at least `min_free` bytes at the end of the buffer; commit(n) appends the
  // first n bytes written there.
  std::span<char> prepare(std::size_t min_free);
  void commit(std::size_t n);
  // Returns true and fills header/payload when a whole frame is buffered. Returns false when
  // more bytes are needed or on error (see error()); after an error the stream is unusable.
  bool next(FrameHeader& header, std::string_view& payload);
  // The header of the next frame, once its 8 bytes are buffered (false otherwise, or on error).
  bool peek_header(FrameHeader& header);
  // After peek_header: consumes that frame's header and as much of its payload as is buffered
  // (at most header.length bytes), copying the payload bytes to `out`; returns how many.
  std::size_t take_partial(const FrameHeader& header, char* out);
  DecodeError error() const { return error_; }
  std::size_t buffered() const { return end_ - begin_; }
  // With nothing buffered, frees a buffer larger than `keep` bytes: a connection kept idle
  // between requests does not hold on to what its largest request needed.
  void shrink_if_idle(std::size_t keep);

 private:
  char* allocate(std::size_t size);
  void release();

  BufferStorage storage_;
  char* buffer_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last buffered byte
  DecodeError error_ = DecodeError::kNone;
};

}  // namespace wsgid::wire
