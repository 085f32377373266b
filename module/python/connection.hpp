// One accepted worker connection: frame reads with socket-timeout, gathered writes with
// MSG_NOSIGNAL, and the request-body state that wsgi.input pulls from. Failures are thrown as
// ConnectionError so callers unwind to the one place that decides how to log and drop.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "shared_ring.hpp"
#include "wire_protocol.hpp"

namespace wsgid::python {

class ConnectionError : public std::runtime_error {
 public:
  enum class Kind { kPeerGone, kTimeout, kProtocol, kIo };
  ConnectionError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

class Connection {
 public:
  // Takes ownership of `fd` (non-blocking). timeout_seconds <= 0: wait for ever.
  Connection(int fd, double timeout_seconds);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }

  // The next whole frame; `payload` stays valid until the next read. Throws ConnectionError.
  wire::FrameHeader read_frame(std::string_view& payload);
  // The same without waiting: false when the socket has no whole frame yet (what it had is
  // kept for the next call). A frame longer than `max_length` is a protocol error as soon as
  // its header is in, so a stranger cannot make the daemon buffer a large head before it has
  // said who it is. Throws like read_frame.
  bool try_read_frame(wire::FrameHeader& header, std::string_view& payload,
                      std::uint32_t max_length);

  // Request body: the next chunk, or an empty view once RequestEnd has arrived. Only
  // RequestBody/RequestEnd are legal here; anything else is a protocol error.
  std::string_view next_body_chunk();
  bool body_complete() const { return body_complete_; }

  // `prefix` (whole frames, e.g. the response head), then a ResponseFile frame, in one write
  // with `file_fd` attached (SCM_RIGHTS): the worker sends `length` bytes from `offset` of that
  // file itself. Throws like write_all. Safe to call without the GIL.
  void send_file(std::string_view prefix, int file_fd, std::uint64_t offset, std::uint64_t length);

  // Whether large body chunks can go through this connection's ring: made on the first call
  // (so a connection that only ever carries small responses never has one), and kept for the
  // connection's life. False when the kernel or the sandbox refuses it (logged once per
  // process, WSGID0564); then bodies go in ResponseBody frames as before.
  bool has_ring();
  // After has_ring(): `prefix` (whole frames, e.g. the response head), then `data` copied into
  // the ring and named in ResponseRing frames; the Ring frame with the memfd goes first in each
  // response. Waits (socket-timeout) while the ring is full. Throws like write_all. Safe to call
  // without the GIL.
  void send_body_shared(std::string_view prefix, std::string_view data);

  // A parked connection's ring (ParkingLot::close_idle): whether it holds pages a response
  // wrote, and freeing them, which waits (false) until the worker has released every byte.
  bool ring_populated() const { return ring_ && ring_->populated(); }
  bool trim_ring() { return !ring_ || ring_->trim(); }

  // Writes every byte of every buffer (or throws). Safe to call without the GIL.
  void write_all(std::span<iovec> buffers);
  void write_all(std::string_view bytes);

  // Persistent connections (protocol version 2). The daemon loop says whether this connection
  // may carry another request; the adapter asks once, when it writes ResponseEnd, so the answer
  // reflects draining or a connection surplus that began while the application ran.
  void set_keep_alive_policy(std::function<bool()> policy) {
    keep_alive_policy_ = std::move(policy);
  }
  // The flags for this request's ResponseEnd: kKeepAlive when the policy allows it.
  std::uint8_t response_end_flags();
  // Whether this request's ResponseEnd promised to read the next request.
  bool keep_alive_promised() const { return keep_alive_promised_; }
  // Between requests on one connection: the body state starts afresh.
  void start_next_request();
  // Whole or partial frames already read from the socket but not yet taken.
  bool has_buffered_input() const { return decoder_.buffered() > 0; }
  // Before the connection is parked: gives back a read buffer a large request grew.
  void release_idle_buffer() { decoder_.shrink_if_idle(kIdleBufferBytes); }
  // Best effort, never blocks: tells an idle worker connection that nothing it sent since the
  // last ResponseEnd was read (see wire_protocol.hpp). The caller closes it next.
  void send_go_away();

  // Set once a read or write failed or the peer vanished: the request cannot complete.
  bool broken() const { return broken_; }
  // Why it broke (valid when broken()).
  ConnectionError::Kind failure_kind() const { return failure_kind_; }
  const std::string& failure() const { return failure_; }

 private:
  // What a parked connection's read buffer may keep: a few request heads, not a large body.
  static constexpr std::size_t kIdleBufferBytes = 64 * 1024;
  void wait_for(short events);
  bool read_frame(wire::FrameHeader& header, std::string_view& payload, bool wait,
                  std::uint32_t max_length);
  // After a failed sendmsg (errno set): returns when it is worth sending again (interrupted, or
  // the full socket became writable); throws for any other error.
  void await_send_retry();
  // `data` as ResponseBody frames.
  void write_body_frames(std::string_view data);
  // `frames` in one write with `fd` attached (SCM_RIGHTS) to its first byte.
  void send_with_fd(std::string_view frames, int fd);
  [[noreturn]] void fail(ConnectionError::Kind kind, const std::string& what);
  int fd_;
  int timeout_ms_;
  wire::FrameDecoder decoder_;
  bool body_complete_ = false;
  bool keep_alive_promised_ = false;
  std::unique_ptr<ring::RingWriter> ring_;
  bool ring_announced_ = false;  // this response's Ring frame has gone out
  std::function<bool()> keep_alive_policy_;
  bool broken_ = false;
  ConnectionError::Kind failure_kind_ = ConnectionError::Kind::kIo;
  std::string failure_;
};

// Logs a connection that failed, with the code and level its kind calls for: a worker that
// went away is routine (debug, WSGID0506); a timeout (WSGID0520), a protocol violation
// (WSGID0505) or an I/O error (WSGID0506) is an error. `context` says what was going on.
void log_connection_failure(ConnectionError::Kind kind, std::string_view what,
                            std::string_view context, std::string_view client);

// Appends the header of a body frame carrying `length` bytes.
void append_body_header(std::string& out, std::uint32_t length);

}  // namespace wsgid::python
