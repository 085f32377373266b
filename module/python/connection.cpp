#include "connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>

#include "error_log.hpp"

namespace wsgid::python {
namespace {

// The ring's data area. 1 MiB carries a 1 MiB body without a single wait for the worker;
// 256 KiB made the daemon wait four to six times per such body, and those wake-ups cost what
// the ring saved. A body chunk goes in as one ResponseRing frame per contiguous free run (not
// in 64 KiB pieces): the worker passes each frame to httpd as one bucket, and the core output
// filter writes a 1 MiB body with one writev instead of sixteen (1 MiB GET: -16 % CPU per
// request). Both sides keep it mapped for the connection's life, but its pages are freed once
// the connection has been parked idle for a second (ParkingLot::close_idle), so they count in a
// worker child's memory only under load (docs/performance.md, "Issue 17: response bodies
// through a ring").
constexpr std::uint32_t kRingData = 1024 * 1024;
// Set when the kernel or the sandbox refused a ring: no connection of this process tries again.
std::atomic<bool> g_ring_refused{false};

}  // namespace

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
  ring_announced_ = false;
}

bool Connection::has_ring() {
  if (ring_) return true;
  if (g_ring_refused.load(std::memory_order_relaxed)) return false;
  auto ring = std::make_unique<ring::RingWriter>();
  std::string why;
  if (!ring->create(kRingData, why)) {
    if (!g_ring_refused.exchange(true)) {
      log_line(LogLevel::kWarn,
               "WSGID0564: cannot make a shared-memory ring for response bodies (" + why +
                   "); large bodies go through the worker socket instead, a little slower. "
                   "Allow memfd_create in the sandbox profile to use it");
    }
    return false;
  }
  ring_ = std::move(ring);
  return true;
}

void Connection::send_body_shared(std::string_view prefix, std::string_view data) {
  if (broken_) throw ConnectionError(failure_kind_, failure_);
  std::string frames(prefix);
  bool attach = !ring_announced_;
  if (attach) wire::append_ring(frames, ring_->data_size());
  ring_announced_ = true;
  const auto send = [&] {
    if (attach)
      send_with_fd(frames, ring_->fd());
    else if (!frames.empty())
      write_all(frames);
    frames.clear();
    attach = false;
  };
  while (!data.empty()) {
    const std::span<char> space = ring_->free_space(data.size());
    if (space.empty()) {
      // Full: the worker must have the frames written so far before it can release anything.
      send();
      switch (ring_->wait_for_room(fd_, timeout_ms_)) {
        case ring::RingWriter::Wait::kRoom:
          continue;
        case ring::RingWriter::Wait::kCorrupt:
          // The application wrote to the ring's counter. What it wrote into the data area is
          // its own response's problem; the counter would stall or overrun every later one, so
          // the rest goes through the socket and the next response gets a new ring.
          ring_.reset();
          write_body_frames(data);
          return;
        case ring::RingWriter::Wait::kTimeout:
          fail(ConnectionError::Kind::kTimeout,
               "the worker released no response bytes within socket-timeout");
        case ring::RingWriter::Wait::kPeerGone:
          fail(ConnectionError::Kind::kPeerGone, "worker closed the connection");
      }
    }
    std::memcpy(space.data(), data.data(), space.size());
    const std::uint32_t offset = ring_->commit(space.size());
    unsigned char frame[wire::kHeaderSize + wire::kResponseRingPayload];
    wire::encode_response_ring(offset, static_cast<std::uint32_t>(space.size()), frame);
    frames.append(reinterpret_cast<const char*>(frame), sizeof frame);
    data.remove_prefix(space.size());
  }
  send();
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
  send_with_fd(frame, file_fd);
}

void Connection::send_with_fd(std::string_view frames, int fd) {
  iovec v{const_cast<char*>(frames.data()), frames.size()};
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
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      // The descriptor went with the first byte; the rest of the frames follow without it.
      write_all(frames.substr(static_cast<std::size_t>(n)));
      return;
    }
    await_send_retry();
  }
}

void Connection::write_body_frames(std::string_view data) {
  constexpr std::size_t kFrame = 64 * 1024;
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), kFrame);
    unsigned char header[wire::kHeaderSize];
    wire::encode_header(wire::FrameType::kResponseBody, 0, static_cast<std::uint32_t>(n), header);
    iovec v[2] = {{header, sizeof header}, {const_cast<char*>(data.data()), n}};
    write_all(std::span<iovec>(v, 2));
    data.remove_prefix(n);
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
