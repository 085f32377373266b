// One accepted worker connection: frame reads with socket-timeout, gathered writes with
// MSG_NOSIGNAL, and the request-body state that wsgi.input pulls from. Failures are thrown as
// ConnectionError so callers unwind to the one place that decides how to log and drop.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

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

  // Request body: the next chunk, or an empty view once RequestEnd has arrived. Only
  // RequestBody/RequestEnd are legal here; anything else is a protocol error.
  std::string_view next_body_chunk();
  bool body_complete() const { return body_complete_; }

  // Writes every byte of every buffer (or throws). Safe to call without the GIL.
  void write_all(std::span<iovec> buffers);
  void write_all(std::string_view bytes);

  // Set once a read or write failed or the peer vanished: the request cannot complete.
  bool broken() const { return broken_; }
  // Why it broke (valid when broken()).
  ConnectionError::Kind failure_kind() const { return failure_kind_; }
  const std::string& failure() const { return failure_; }

 private:
  void wait_for(short events);
  [[noreturn]] void fail(ConnectionError::Kind kind, const std::string& what);
  int fd_;
  int timeout_ms_;
  wire::FrameDecoder decoder_;
  bool body_complete_ = false;
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
