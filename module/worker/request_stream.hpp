// The worker's side of a request going to a daemon: the frames it sends (Hello on a new
// connection, RequestHead, RequestBody*, RequestEnd), queued as buckets and written with one
// sendmsg per batch.
//
// Nothing here is allocated per request from the C++ heap: the head is in the request pool and
// the body's payload is the input filters' own buckets (ap_get_brigade, as ap_get_client_block
// does inside, without its copy into a caller's buffer). Freed blocks therefore go back to the
// connection's bucket allocator, bounded by MaxMemFree, instead of to a glibc arena of the
// thread that happened to serve the request, where they stayed.
#pragma once

#include <apr_buckets.h>
#include <httpd.h>

#include <cstddef>
#include <string_view>

#include "wire_protocol.hpp"

namespace wsgid {

class RequestStream {
 public:
  // `head_payload` must live as long as the request pool, `hello` (the group's Hello frame) as
  // long as the group. A new connection (`send_hello`) sends the Hello first; a reused one does
  // not. With `keep_sent`, bytes that went out stay queued until restart() or the stream's end:
  // a request that may be resent must be resendable until it is answered.
  // Without `send_body` (a hook call) RequestEnd follows the head and the client's body is left
  // for the request itself.
  RequestStream(request_rec* r, std::string_view head_payload, std::string_view hello,
                bool send_hello, bool keep_sent, bool send_body);
  ~RequestStream();
  RequestStream(const RequestStream&) = delete;
  RequestStream& operator=(const RequestStream&) = delete;

  // Whether the client's body has more to read (ap_should_client_block, then until EOS).
  bool body_pending() const { return body_pending_; }
  // Whether queued bytes are still to be written to the daemon.
  bool has_unsent() const { return at_ != APR_BRIGADE_SENTINEL(queue_); }

  // Reads the next part of the client's body (blocking, at most one frame's worth) and queues
  // it; at the end of the body, queues RequestEnd. False when reading from the client failed.
  bool read_body();

  // Writes queued bytes without blocking. Returns how many the socket took (0 when it is full),
  // or -1 with errno set.
  long send(int fd);

  // Starts over, for a fresh connection: a Hello, then every byte queued from the start. Only
  // for a stream made with keep_sent; from then on, written bytes are dropped.
  void restart();

 private:
  void append(apr_bucket* b);
  void queue_frame_header(wire::FrameType type, std::size_t length);
  void advance(std::size_t written);

  request_rec* r_;
  apr_bucket_alloc_t* ba_;
  apr_bucket_brigade* queue_;  // everything to send (and, with keep_sent_, what was sent)
  apr_bucket_brigade* input_;  // what the input filters return, before it is queued
  apr_bucket* at_;             // the first bucket not wholly written, or the sentinel
  std::size_t at_offset_ = 0;  // bytes of *at_ already written
  bool keep_sent_;
  std::string_view hello_;
  bool hello_queued_;
  bool body_pending_ = false;
};

}  // namespace wsgid
