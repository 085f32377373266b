#include "request_stream.hpp"

#include <http_protocol.h>
#include <util_filter.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "wire_protocol.hpp"

namespace wsgid {
namespace {

// One read from the client, and one body frame: the core input filter gives what the socket
// has, up to this, in its own 8000-byte blocks, which stay with the connection's allocator once
// freed (up to MaxMemFree). Each connection that carried an upload keeps about one read's worth:
// 64 KiB reads left a worker child ~0.3 MiB above 32 KiB ones after the benchmark, for no
// measurable throughput (docs/memory.md, "the worker's exchange on APR memory only").
constexpr apr_off_t kBodyRead = 32 * 1024;
constexpr int kMaxIov = 64;

apr_bucket* immortal(std::string_view bytes, apr_bucket_alloc_t* ba) {
  return apr_bucket_immortal_create(bytes.data(), bytes.size(), ba);
}

}  // namespace

RequestStream::RequestStream(request_rec* r, std::string_view head_payload, std::string_view hello,
                             bool send_hello, bool keep_sent, bool send_body)
    : r_(r),
      ba_(r->connection->bucket_alloc),
      queue_(apr_brigade_create(r->pool, ba_)),
      input_(apr_brigade_create(r->pool, ba_)),
      at_(APR_BRIGADE_SENTINEL(queue_)),
      keep_sent_(keep_sent),
      hello_(hello),
      hello_queued_(send_hello) {
  if (hello_queued_) append(immortal(hello_, ba_));
  queue_frame_header(wire::FrameType::kRequestHead, head_payload.size());
  // The payload is in the request pool, which outlives this stream.
  append(immortal(head_payload, ba_));
  body_pending_ = send_body && ap_should_client_block(r) != 0;
  if (!body_pending_) queue_frame_header(wire::FrameType::kRequestEnd, 0);
}

RequestStream::~RequestStream() {
  // At once rather than with the request pool: the blocks go back to the connection's
  // allocator for the next request's buckets.
  apr_brigade_destroy(queue_);
  apr_brigade_destroy(input_);
}

void RequestStream::append(apr_bucket* b) {
  APR_BRIGADE_INSERT_TAIL(queue_, b);
  if (at_ == APR_BRIGADE_SENTINEL(queue_)) {
    at_ = b;
    at_offset_ = 0;
  }
}

void RequestStream::queue_frame_header(wire::FrameType type, std::size_t length) {
  auto* header = static_cast<unsigned char*>(apr_bucket_alloc(wire::kHeaderSize, ba_));
  wire::encode_header(type, 0, static_cast<std::uint32_t>(length), header);
  append(apr_bucket_heap_create(reinterpret_cast<const char*>(header), wire::kHeaderSize,
                                apr_bucket_free, ba_));
}

bool RequestStream::read_body() {
  // ap_get_client_block's reading, minus its copy: the HTTP input filter de-chunks, stops at
  // Content-Length, applies LimitRequestBody and sends 100 Continue when the client asked.
  const apr_status_t rv =
      ap_get_brigade(r_->input_filters, input_, AP_MODE_READBYTES, APR_BLOCK_READ, kBodyRead);
  bool ok = rv == APR_SUCCESS;
  bool eos = false;
  apr_size_t total = 0;
  for (apr_bucket* b = APR_BRIGADE_FIRST(input_); ok && b != APR_BRIGADE_SENTINEL(input_);) {
    if (APR_BUCKET_IS_METADATA(b)) {
      eos = eos || APR_BUCKET_IS_EOS(b);
      apr_bucket* next = APR_BUCKET_NEXT(b);
      apr_bucket_delete(b);
      b = next;
      continue;
    }
    // Into memory (a bucket that must be read morphs, with any rest after it), and made to
    // outlive the next read: an input filter may hand out transient views of its own buffer.
    const char* data = nullptr;
    apr_size_t len = 0;
    ok = apr_bucket_read(b, &data, &len, APR_BLOCK_READ) == APR_SUCCESS &&
         apr_bucket_setaside(b, r_->pool) == APR_SUCCESS;
    apr_bucket* next = APR_BUCKET_NEXT(b);
    if (len == 0) apr_bucket_delete(b);
    total += len;
    b = next;
  }
  if (!ok) {
    // As ap_get_client_block: whatever is left of the body cannot be read past.
    r_->connection->keepalive = AP_CONN_CLOSE;
    apr_brigade_cleanup(input_);
    return false;
  }
  r_->read_length += static_cast<apr_off_t>(total);
  for (apr_size_t left = total; left > 0;) {
    const apr_size_t frame = std::min<apr_size_t>(left, wire::kMaxBodyPayload);
    apr_bucket* after = nullptr;
    if (apr_brigade_partition(input_, static_cast<apr_off_t>(frame), &after) != APR_SUCCESS) {
      r_->connection->keepalive = AP_CONN_CLOSE;
      apr_brigade_cleanup(input_);
      return false;
    }
    queue_frame_header(wire::FrameType::kRequestBody, frame);
    while (APR_BRIGADE_FIRST(input_) != after) {
      apr_bucket* b = APR_BRIGADE_FIRST(input_);
      APR_BUCKET_REMOVE(b);
      append(b);
    }
    left -= frame;
  }
  if (eos || total == 0) {
    // ap_get_client_block's end of body: the next call would return 0.
    if (eos) r_->remaining = r_->read_chunked ? -1 : 0;
    queue_frame_header(wire::FrameType::kRequestEnd, 0);
    body_pending_ = false;
  }
  return true;
}

long RequestStream::send(int fd) {
  iovec iov[kMaxIov];
  int count = 0;
  std::size_t offset = at_offset_;
  for (apr_bucket* b = at_; b != APR_BRIGADE_SENTINEL(queue_) && count < kMaxIov;
       b = APR_BUCKET_NEXT(b), offset = 0) {
    const char* data = nullptr;
    apr_size_t len = 0;
    // Everything queued is in memory: reading it neither blocks nor fails.
    if (apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ) != APR_SUCCESS) break;
    if (len > offset) iov[count++] = {const_cast<char*>(data) + offset, len - offset};
  }
  if (count == 0) return 0;
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<std::size_t>(count);
  ssize_t n = 0;
  do {
    n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  advance(static_cast<std::size_t>(n));
  return static_cast<long>(n);
}

void RequestStream::advance(std::size_t n) {
  const apr_bucket* end = APR_BRIGADE_SENTINEL(queue_);
  while (at_ != end && (n > 0 || at_->length == at_offset_)) {
    const std::size_t rest = at_->length - at_offset_;
    const std::size_t take = std::min(rest, n);
    at_offset_ += take;
    n -= take;
    if (at_offset_ < at_->length) break;
    apr_bucket* done = at_;
    at_ = APR_BUCKET_NEXT(at_);
    at_offset_ = 0;
    // Written and not needed for a resend: its memory goes back to the allocator now.
    if (!keep_sent_) apr_bucket_delete(done);
  }
}

void RequestStream::restart() {
  if (!hello_queued_) {
    APR_BRIGADE_INSERT_HEAD(queue_, immortal(hello_, ba_));
    hello_queued_ = true;
  }
  at_ = APR_BRIGADE_FIRST(queue_);
  at_offset_ = 0;
  keep_sent_ = false;
}

}  // namespace wsgid
