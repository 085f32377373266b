// Where the frames of a daemon's answer go, on the worker's side of an exchange
// (daemon_exchange.cpp): the client's httpd response (client_response.hpp) for a request, or
// the answer a Python hook call reads (python_hooks.cpp). One exchange, one decoder, one
// connection pool for both; only what the answer becomes differs.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ring_mappings.hpp"
#include "shared_ring.hpp"

namespace wsgid {

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;

  virtual bool head_seen() const = 0;
  // Whether the client has been sent (or promised) anything yet: from then on a failure can no
  // longer become a status code.
  virtual bool started() const = 0;
  // The client went away while being sent the response (logged): stop.
  virtual bool client_gone() const = 0;

  // The response head: status and headers. False when the payload is malformed.
  virtual bool apply_head(std::string_view payload) = 0;
  // A body frame's payload, copied: it lives in the decoder's buffer.
  virtual int add_body(std::string_view payload) = 0;
  // `n` bytes of body in `block`, a block from the connection's bucket allocator, which the
  // sink now owns.
  virtual int add_block(char* block, std::size_t n) = 0;
  // A file's bytes; the sink owns `fd`. False if it cannot take it.
  virtual bool add_file(int fd, std::uint64_t offset, std::uint64_t length) = 0;
  // ResponseEnd. Returns OK or the status the request ends with.
  virtual int end() = 0;
  // The end of a batch of frames: what they added goes on together.
  virtual int pass_batch() = 0;
  // Pushes what the client has been given so far (before the worker waits for the daemon).
  virtual int flush() = 0;
  // After the head has gone out, a failure ends the response visibly broken.
  virtual void broken() = 0;

  // A Ring frame that came on daemon connection `connection` with `memfd` (now the sink's):
  // its ring for the rest of this answer (ring_mappings.hpp). False, with `why`, when it is not
  // a sealed ring of that size, or not the first of this answer.
  bool attach_ring(int connection, int memfd, std::uint32_t size, std::string& why) {
    if (ring_) {
      why = "a second ring in one response";
      ::close(memfd);
      return false;
    }
    ring_ = ring_for_connection(connection, memfd, size, why);
    return ring_ != nullptr;
  }
  // The bytes a ResponseRing frame names, or null when they are not inside the mapped ring.
  const char* ring_bytes(std::uint32_t offset, std::uint32_t length) const {
    return ring_ ? ring_->bytes(offset, length) : nullptr;
  }
  // `n` body bytes at `bytes` in the ring. By default copied like a body frame's payload and
  // handed back at once; the client's response passes them without a copy.
  virtual int add_shared(const char* bytes, std::size_t n) {
    const int rc = add_body(std::string_view(bytes, n));
    ring_->release(n);
    return rc;
  }
  // At ResponseEnd, before the connection can go back to the pool: every ring byte handed
  // back. The daemon takes the counter as bytes released in ring order, so the next exchange
  // on the connection must not hand bytes back while this one still holds older ones.
  virtual int settle_ring() { return 0; }

 protected:
  std::shared_ptr<ring::RingReader> ring_;
};

}  // namespace wsgid
