#include "connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>

#include "error_log.hpp"

namespace wsgid::python {

Connection::Connection(int fd, double timeout_seconds)
    : fd_(fd),
      timeout_ms_(timeout_seconds > 0 ? static_cast<int>(std::ceil(timeout_seconds * 1000)) : -1) {}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

void Connection::fail(ConnectionError::Kind kind, const std::string& what) {
  if (!broken_) {
    broken_ = true;
    failure_kind_ = kind;
    failure_ = what;
  }
  throw ConnectionError(kind, what);
}

void Connection::wait_for(short events) {
  pollfd p{fd_, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms_);
    if (r > 0) return;  // readable/writable, or an error the next call reports
    if (r == 0) {
      fail(ConnectionError::Kind::kTimeout,
           "no progress on the worker connection within socket-timeout");
    }
    if (errno != EINTR) {
      fail(ConnectionError::Kind::kIo,
           std::string("poll on worker connection: ") + std::strerror(errno));
    }
  }
}

wire::FrameHeader Connection::read_frame(std::string_view& payload) {
  wire::FrameHeader header;
  read_frame(header, payload, true, UINT32_MAX);
  return header;
}

bool Connection::try_read_frame(wire::FrameHeader& header, std::string_view& payload,
                                std::uint32_t max_length) {
  return read_frame(header, payload, false, max_length);
}

bool Connection::read_frame(wire::FrameHeader& header, std::string_view& payload, bool wait,
                            std::uint32_t max_length) {
  for (;;) {
    if (max_length < UINT32_MAX && decoder_.peek_header(header) && header.length > max_length) {
      fail(ConnectionError::Kind::kProtocol, "a frame of " + std::to_string(header.length) +
                                                 " bytes where at most " +
                                                 std::to_string(max_length) + " may come");
    }
    if (decoder_.next(header, payload)) return true;
    if (decoder_.error() != wire::DecodeError::kNone) {
      fail(ConnectionError::Kind::kProtocol, std::string("malformed frame from worker: ") +
                                                 std::string(wire::describe(decoder_.error())));
    }
    // Straight into the decoder's buffer: a request body is copied once, into wsgi.input's
    // bytes, not twice.
    const std::span<char> space = decoder_.prepare(64 * 1024);
    const ssize_t n = ::recv(fd_, space.data(), space.size(), 0);
    if (n > 0) {
      decoder_.commit(static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      fail(ConnectionError::Kind::kPeerGone, decoder_.buffered() > 0
                                                 ? "worker closed the connection mid-frame"
                                                 : "worker closed the connection");
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait) return false;
      wait_for(POLLIN);
    } else if (errno == ECONNRESET) {
      fail(ConnectionError::Kind::kPeerGone, "worker reset the connection");
    } else if (errno != EINTR) {
      fail(ConnectionError::Kind::kIo, std::string("read from worker: ") + std::strerror(errno));
    }
  }
}

std::string_view Connection::next_body_chunk() {
  if (body_complete_) return {};
  std::string_view payload;
  const wire::FrameHeader h = read_frame(payload);
  if (h.type == wire::FrameType::kRequestBody) return payload;
  if (h.type == wire::FrameType::kRequestEnd) {
    body_complete_ = true;
    return {};
  }
  fail(ConnectionError::Kind::kProtocol,
       "unexpected frame type " + std::to_string(static_cast<int>(h.type)) + " in a request body");
}

std::uint8_t Connection::response_end_flags() {
  keep_alive_promised_ = !broken_ && keep_alive_policy_ && keep_alive_policy_();
  return keep_alive_promised_ ? wire::kKeepAlive : 0;
}

void Connection::start_next_request() {
  body_complete_ = false;
  keep_alive_promised_ = false;
}

void Connection::send_go_away() {
  unsigned char frame[wire::kHeaderSize];
  wire::encode_header(wire::FrameType::kGoAway, 0, 0, frame);
  // An idle connection's send buffer is empty: 8 bytes always fit, or the worker is gone.
  [[maybe_unused]] const ssize_t n = ::send(fd_, frame, sizeof frame, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void Connection::write_all(std::span<iovec> buffers) {
  if (broken_) throw ConnectionError(failure_kind_, failure_);
  std::size_t first = 0;
  while (first < buffers.size()) {
    if (buffers[first].iov_len == 0) {
      ++first;
      continue;
    }
    msghdr msg{};
    msg.msg_iov = buffers.data() + first;
    msg.msg_iovlen = std::min<std::size_t>(buffers.size() - first, IOV_MAX);
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      await_send_retry();
      continue;
    }
    auto left = static_cast<std::size_t>(n);
    while (left > 0 && first < buffers.size()) {
      iovec& v = buffers[first];
      if (left >= v.iov_len) {
        left -= v.iov_len;
        v.iov_len = 0;
        ++first;
      } else {
        v.iov_base = static_cast<char*>(v.iov_base) + left;
        v.iov_len -= left;
        left = 0;
      }
    }
  }
}

void Connection::send_file(std::string_view prefix, int file_fd, std::uint64_t offset,
                           std::uint64_t length) {
  if (broken_) throw ConnectionError(failure_kind_, failure_);
  std::string frame(prefix);
  wire::append_response_file(frame, offset, length);
  iovec v{frame.data(), frame.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &v;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &file_fd, sizeof(int));
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      // The descriptor went with the first byte; the rest of the frame follows without it.
      write_all(std::string_view(frame).substr(static_cast<std::size_t>(n)));
      return;
    }
    await_send_retry();
  }
}

void Connection::await_send_retry() {
  if (errno == EINTR) return;
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    wait_for(POLLOUT);
    return;
  }
  const auto kind = (errno == EPIPE || errno == ECONNRESET) ? ConnectionError::Kind::kPeerGone
                                                            : ConnectionError::Kind::kIo;
  fail(kind, std::string("write to worker: ") + std::strerror(errno));
}

void Connection::write_all(std::string_view bytes) {
  iovec v{const_cast<char*>(bytes.data()), bytes.size()};
  write_all(std::span<iovec>(&v, 1));
}

void log_connection_failure(ConnectionError::Kind kind, std::string_view what,
                            std::string_view context, std::string_view client) {
  std::string line;
  LogLevel level = LogLevel::kError;
  switch (kind) {
    case ConnectionError::Kind::kPeerGone:
      level = LogLevel::kDebug;
      line = "WSGID0506: ";
      break;
    case ConnectionError::Kind::kTimeout:
      line = "WSGID0520: ";
      break;
    case ConnectionError::Kind::kProtocol:
      line = "WSGID0505: ";
      break;
    case ConnectionError::Kind::kIo:
      line = "WSGID0506: ";
      break;
  }
  if (!log_enabled(level)) return;
  line.append(context);
  line += ": ";
  line.append(what);
  if (kind == ConnectionError::Kind::kTimeout) line += " (raise socket-timeout if that is normal)";
  log_line(level, line, client);
}

void append_body_header(std::string& out, std::uint32_t length) {
  unsigned char h[wire::kHeaderSize];
  wire::encode_header(wire::FrameType::kResponseBody, 0, length, h);
  out.append(reinterpret_cast<const char*>(h), sizeof h);
}

}  // namespace wsgid::python
