// One exchange is one state machine: what has been sent and delivered, what has been received
// and where it goes, whether a resend is still allowed, and each failure's code depend on one
// another at every step, so they stay together here. What does not depend on them lives beside
// it: connecting and the idle pool (daemon_connection.cpp), the request frames
// (request_stream.cpp), the blocks a large body frame is received into (body_blocks.hpp), what
// the answer's frames fill (response_sink.hpp: the client's response, client_response.cpp, or a
// hook call's answer) and the descriptors that come with ResponseFile frames (received_fds.cpp).
#include "daemon_exchange.hpp"

#include <apr_buckets.h>
#include <http_protocol.h>
#include <http_request.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "body_blocks.hpp"
#include "client_response.hpp"
#include "daemon_connection.hpp"
#include "log.hpp"
#include "received_fds.hpp"
#include "ring_mappings.hpp"
#include "request_stream.hpp"

namespace wsgid {
namespace {

// A request goes on a reused connection only if everything it sends can be kept for a resend
// (see Exchange::wants_retry): a body of known length up to this.
constexpr apr_off_t kReplayLimit = 256 * 1024;
// A daemon reads with at least 64 KiB of room (python/connection.cpp) and a UNIX stream queues
// one sendmsg of up to ~36 KiB as a single buffer, so a request written whole in one sendmsg of
// at most this is read by the daemon whole or not at all.
constexpr std::size_t kAtomicRequest = 16 * 1024;
// Bodies up to this are gathered before the first write (Exchange::gather_small_body), leaving
// room for the head within kAtomicRequest.
constexpr apr_off_t kSmallBody = 8 * 1024;

int poll_ms(apr_time_t deadline) {
  const apr_time_t left = deadline - apr_time_now();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<apr_time_t>(apr_time_as_msec(left) + 1, 60 * 60 * 1000));
}

std::string_view hello_frame(const DaemonGroup& g) {
  if (!g.credential) return {};  // the daemon refuses it: no group is left without one
  return {reinterpret_cast<const char*>(g.credential->hello), sizeof g.credential->hello};
}

// The decoder's buffer (response heads, small frames, frame headers) from the request pool: a
// small first buffer usually fits the pool's current block, where a block of its own would be
// one more 8 KiB held by every connection's allocator after a hello-world request. Growing
// (a large head) leaves the old buffer in the pool until the request ends: at most as much again.
constexpr std::size_t kDecoderFirst = 2048;
wire::BufferStorage pool_storage(apr_pool_t* pool) {
  wire::BufferStorage s;
  s.context = pool;
  s.allocate = [](void* c, std::size_t n) {
    return static_cast<char*>(apr_palloc(static_cast<apr_pool_t*>(c), n));
  };
  s.first_capacity = kDecoderFirst;
  return s;
}

// What goes to the daemon: the RequestHead's pairs (in the request pool), and whether the
// client's body follows (a hook call sends none: the body is the request's, not the hook's).
struct ExchangeRequest {
  std::string_view head_payload;
  bool send_body = true;
};

class Exchange {
 public:
  Exchange(request_rec* r, const DaemonGroup& g, int fd, bool reused, bool replayable,
           const ExchangeRequest& request, ResponseSink& response)
      : r_(r),
        g_(g),
        fd_(fd),
        reused_(reused),
        replayable_(replayable),
        response_(response),
        stream_(r, request.head_payload, hello_frame(g), !reused, replayable, request.send_body),
        decoder_(pool_storage(r->pool)),
        body_(r->connection->bucket_alloc) {
    const int seconds = g.socket_timeout > 0 ? g.socket_timeout
                                             : static_cast<int>(apr_time_sec(r->server->timeout));
    timeout_ = apr_time_from_sec(seconds);
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  int gateway_error() const { return gateway_error_; }

  // The daemon closed the connection without reading this request (GoAway), before a byte of
  // it was delivered, or died with the whole of it unread (unread_at_reset): no part of it
  // reached the application, so it may go again on a new connection (resume). A failure that
  // proves less (EOF, or a reset that may have followed a partial read) is never retried: the
  // application may have started the request.
  bool wants_retry() const { return retry_; }

  // The connection went back to the pool at ResponseEnd; the caller must not close it.
  bool released() const { return fd_ < 0; }

  int run() { return loop(); }

  // Starts over on a fresh connection: a Hello, then every byte sent so far (a reused
  // connection's request stream keeps them all), then the rest as usual.
  int resume(int fd) {
    stream_.restart();
    fd_ = fd;
    reused_ = false;
    retried_ = true;
    delivered_ = 0;
    writes_ = 0;
    decoder_ = wire::FrameDecoder(pool_storage(r_->pool));
    fds_.clear();
    send_failed_ = false;
    retry_ = false;
    done_ = false;
    return loop();
  }

 private:
  // The exchange ended cleanly and the daemon promised to read another request: the
  // connection can go back to the pool.
  bool reusable() const {
    return end_seen_ && (end_flags_ & wire::kKeepAlive) != 0 && !stream_.body_pending() &&
           !stream_.has_unsent() && !send_failed_ && decoder_.buffered() == 0 && fds_.empty() &&
           body_.left() == 0;
  }

  // A small body of known length is read before anything is written, so head, body and end go
  // in one sendmsg and the daemon reads them whole or not at all: a daemon killed with it
  // unread is then provably so (unread_at_reset). Not with Expect: 100-continue, where the
  // client waits for the application to ask for the body.
  bool gather_small_body() const {
    return writes_ == 0 && stream_.body_pending() && !r_->read_chunked && r_->remaining > 0 &&
           r_->remaining <= kSmallBody && !apr_table_get(r_->headers_in, "Expect");
  }

  int loop() {
    while (gather_small_body()) {
      if (const int rc = read_client_body(); rc != OK) return rc;
    }
    apr_time_t deadline = apr_time_now() + timeout_;
    while (!done_) {
      if (!stream_.has_unsent() && stream_.body_pending() && !send_failed_) {
        if (const int rc = read_client_body(); rc != OK) return rc;
      }
      bool want_write = stream_.has_unsent() && !send_failed_;
      if (want_write) {
        // Optimistically, without a poll first: the socket nearly always has room.
        const std::size_t sent = delivered_;
        write_some();
        if (done_) return OK;  // a resend was decided
        if (delivered_ != sent) deadline = apr_time_now() + timeout_;
        want_write = stream_.has_unsent() && !send_failed_;
        if (!want_write && stream_.body_pending() && !send_failed_) continue;  // more body
      }
      pollfd pfd{fd_, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
      // Before the response head there is nothing to flush to the client: just wait.
      int n = response_.started() ? poll(&pfd, 1, 0) : 0;
      if (n == 0) {
        // Nothing ready right now: push what the client has been given so far before waiting,
        // so streamed responses reach it promptly.
        if (const int rc = flush_client(); rc != OK) return rc;
        n = poll(&pfd, 1, poll_ms(deadline));
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_io("poll", errno);
      }
      if (n == 0) return timed_out();
      deadline = apr_time_now() + timeout_;
      if (pfd.revents & POLLOUT) write_some();
      if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
        if (const int rc = read_some(); rc != OK || done_) return rc;
      }
    }
    return OK;
  }

  bool may_retry() const { return replayable_ && !retried_ && !response_frame_seen_; }

  // A UNIX stream socket closed with data still in its receive queue resets its peer; closed
  // with the queue empty, it gives EOF. So a reset proves some of what we sent was never read,
  // and when the request went in one small sendmsg (which the daemon reads whole: see
  // kAtomicRequest) that means none of it was: the daemon died (SIGKILL, OOM) with the
  // request still queued on the connection, which the application never saw.
  bool unread_at_reset() const {
    return writes_ == 1 && !stream_.has_unsent() && !stream_.body_pending() &&
           delivered_ <= kAtomicRequest;
  }
  int retry() {
    retry_ = true;
    done_ = true;
    return OK;
  }

  int read_client_body() {
    if (stream_.read_body()) return OK;
    log_request(r_, APLOG_INFO, 0, "WSGID0109",
                "reading the request body from the client failed (client gone or sent a bad "
                "body)");
    return HTTP_BAD_REQUEST;
  }

  void write_some() {
    while (stream_.has_unsent()) {
      const long n = stream_.send(fd_);
      if (n > 0) {
        delivered_ += static_cast<std::size_t>(n);
        ++writes_;
        continue;
      }
      if (n == 0) return;  // the socket is full
      if (may_retry() && delivered_ == 0 && (errno == EPIPE || errno == ECONNRESET)) {
        retry();  // closed before our first byte: nothing of this request was delivered
        return;
      }
      // The daemon stopped reading (it answered early, or died): keep reading its response.
      send_failed_ = true;
      return;
    }
  }

  int read_some() {
    for (;;) {
      // The rest of a large body frame goes straight into the blocks it is passed on in; what
      // follows it (or everything, between such frames) into the decoder.
      iovec iov[BodyBlocks::kMaxPieces + 1];
      int count = 0;
      const std::size_t body_room = body_.left() > 0 ? body_.iovecs(iov, count) : 0;
      std::size_t room = body_room;
      if (body_room == body_.left()) {  // the decoder only gets what follows the frame
        const std::span<char> space = decoder_.prepare(wire::kHeaderSize);
        iov[count++] = {space.data(), space.size()};
        room += space.size();
      }
      const ssize_t n = fds_.receive(fd_, iov, count);
      if (n > 0) {
        const auto got = static_cast<std::size_t>(n);
        const std::size_t body = std::min(got, body_room);
        if (body > 0) {
          if (const int rc = fill_body(body); rc != OK || done_) return rc;
        }
        if (got > body) decoder_.commit(got - body);
        if (const int rc = process_frames(); rc != OK || done_) return rc;
        if (got < room) return OK;  // the socket is drained
        continue;
      }
      if ((n == 0 || errno == ECONNRESET || errno == EPIPE) && may_retry() && delivered_ == 0) {
        return retry();  // the daemon was gone before our first byte reached it
      }
      if (n < 0 && errno == ECONNRESET && may_retry() && unread_at_reset()) {
        return retry();  // the daemon died with the whole request queued, unread
      }
      // A reset is a daemon that died (or closed) with bytes of ours unread: it is gone, not
      // a protocol fault.
      if (n == 0 || errno == ECONNRESET) return daemon_closed();
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return OK;
      return fail_io("recv", errno);
    }
  }

  // A ResponseFile frame: its descriptor came with it (receive).
  int add_file(std::string_view payload) {
    std::uint64_t offset = 0, length = 0;
    if (!wire::parse_response_file(payload, offset, length)) {
      return protocol_error("a malformed file frame");
    }
    if (fds_.empty()) {
      return protocol_error(fds_.lost() ? "file descriptors lost (MSG_CTRUNC)"
                                        : "a file frame without its descriptor");
    }
    if (!response_.add_file(fds_.pop(), offset, length)) return fail_io("apr_os_file_put", 0);
    return OK;
  }

  // A Ring frame: the connection's ring for this response; its memfd came with it (receive).
  int attach_ring(std::string_view payload) {
    std::uint32_t size = 0;
    if (!wire::parse_ring(payload, size)) return protocol_error("a malformed ring frame");
    if (fds_.empty()) {
      return protocol_error(fds_.lost() ? "file descriptors lost (MSG_CTRUNC)"
                                        : "a ring frame without its memfd");
    }
    std::string why;
    if (!response_.attach_ring(fd_, fds_.pop(), size, why)) {
      return protocol_error(("an unusable ring: " + why).c_str());
    }
    return OK;
  }

  // A ResponseRing frame: body bytes in the ring, checked against the worker's own mapping.
  int add_shared(std::string_view payload) {
    std::uint32_t offset = 0, length = 0;
    if (!wire::parse_response_ring(payload, offset, length)) {
      return protocol_error("a malformed ring body frame");
    }
    const char* bytes = response_.ring_bytes(offset, length);
    if (bytes == nullptr) return protocol_error("ring body bytes outside the ring");
    return settle(response_.add_shared(bytes, length));
  }

  int process_frames() {
    wire::FrameHeader h;
    std::string_view payload;
    while (!begin_direct_body() && decoder_.next(h, payload)) {
      if (h.type == wire::FrameType::kGoAway) {
        // The daemon read nothing of this request (wire_protocol.hpp): send it again.
        if (may_retry()) return retry();
        if (!response_started()) return daemon_closed();
        return protocol_error("GoAway in the middle of a response");
      }
      response_frame_seen_ = true;
      switch (h.type) {
        case wire::FrameType::kResponseHead:
          if (response_.head_seen()) return protocol_error("a second response head");
          if (!response_.apply_head(payload)) return protocol_error("a malformed head");
          break;
        case wire::FrameType::kResponseBody:
          if (!response_.head_seen()) return protocol_error("body before the response head");
          if (const int rc = settle(response_.add_body(payload)); rc != OK) return rc;
          break;
        case wire::FrameType::kResponseFile:
          if (!response_.head_seen()) return protocol_error("a file before the response head");
          if (const int rc = add_file(payload); rc != OK) return rc;
          break;
        case wire::FrameType::kRing:
          if (!response_.head_seen()) return protocol_error("a ring before the response head");
          if (const int rc = attach_ring(payload); rc != OK) return rc;
          break;
        case wire::FrameType::kResponseRing:
          if (!response_.head_seen()) return protocol_error("ring bytes before the response head");
          if (const int rc = add_shared(payload); rc != OK) return rc;
          break;
        case wire::FrameType::kResponseEnd:
          if (!response_.head_seen()) return protocol_error("end before the response head");
          done_ = true;
          end_seen_ = true;
          end_flags_ = h.flags;
          if (const int rc = settle(response_.settle_ring()); rc != OK) return rc;
          // Back to the pool before the client gets the end of its response, or its next
          // request could reach another thread of this child before the connection is idle.
          if (reusable()) {
            idle_connections().put(g_, fd_);
            fd_ = -1;
          }
          return settle(response_.end());
        case wire::FrameType::kError: {
          wire::ErrorInfo e;
          if (!wire::parse_error(payload, e)) return protocol_error("a malformed error frame");
          if (response_.head_seen())
            return protocol_error("an error frame after the response head");
          log_request(r_, APLOG_ERR, 0, std::string(e.code).c_str(),
                      "daemon group '%s' refused the request: %.*s", g_.name,
                      static_cast<int>(e.message.size()), e.message.data());
          done_ = true;
          return e.status;
        }
        default:
          return protocol_error("a frame type a daemon must not send");
      }
    }
    if (decoder_.error() != wire::DecodeError::kNone) {
      return protocol_error(std::string(wire::describe(decoder_.error())).c_str());
    }
    return settle(response_.pass_batch());
  }

  // A body frame too large to have arrived whole goes into blocks (body_blocks.hpp) instead of
  // the decoder.
  bool begin_direct_body() {
    if (body_.left() > 0) return true;  // in such a frame already: its bytes are not the decoder's
    wire::FrameHeader h;
    // Also a body that is discarded (ErrorOverride, a local redirect): the decoder, in the
    // request pool, would grow to the frame's size for nothing.
    if (!response_.head_seen() || !decoder_.peek_header(h)) return false;
    if (h.type != wire::FrameType::kResponseBody || h.length < kDirectMin) return false;
    const std::size_t buffered = decoder_.buffered() - wire::kHeaderSize;
    // Whole already, or (after a large head grew the decoder) more than a block: gathered.
    if (buffered >= h.length || buffered >= BodyBlocks::kBlock) return false;
    response_frame_seen_ = true;
    body_.begin(decoder_, h);
    return true;
  }

  // `n` bytes of the current body frame arrived in its blocks: full ones go to httpd.
  int fill_body(std::size_t n) {
    int rc = OK;
    body_.fill(n, [this, &rc](char* block, std::size_t size) {
      rc = settle(response_.add_block(block, size));
      return rc == OK && !done_;
    });
    return rc;
  }

  // The client went away during a pass: the exchange is over.
  int settle(int rc) {
    if (response_.client_gone()) done_ = true;
    return rc;
  }

  int flush_client() {
    if (done_) return OK;
    return settle(response_.flush());
  }

  int broken_response() {
    response_.broken();
    done_ = true;
    return OK;
  }

  bool response_started() const { return response_.started(); }

  int daemon_closed() {
    gateway_error_ = WSGID_GATEWAY_DAEMON_DIED;
    if (!response_started()) {
      log_request(r_, APLOG_ERR, 0, "WSGID0106",
                  "daemon process of group '%s' closed the connection before sending response "
                  "headers: it died or was killed (see the group's error log)",
                  g_.name);
      done_ = true;
      return HTTP_BAD_GATEWAY;
    }
    log_request(r_, APLOG_ERR, 0, "WSGID0107",
                "daemon process of group '%s' closed the connection in the middle of the "
                "response body: the client gets a truncated response",
                g_.name);
    return broken_response();
  }

  int protocol_error(const char* what) {
    gateway_error_ = WSGID_GATEWAY_PROTOCOL;
    log_request(r_, APLOG_ERR, 0, "WSGID0108",
                "daemon group '%s' broke the wsgid protocol (%s): dropping the connection", g_.name,
                what);
    if (response_started()) return broken_response();
    done_ = true;
    return HTTP_BAD_GATEWAY;
  }

  int timed_out() {
    gateway_error_ = WSGID_GATEWAY_TIMEOUT;
    log_request(r_, APLOG_ERR, 0, "WSGID0111",
                "no data from daemon group '%s' for %" APR_TIME_T_FMT
                " s (socket-timeout): the application is too slow or stuck",
                g_.name, apr_time_sec(timeout_));
    if (response_started()) return broken_response();
    done_ = true;
    return HTTP_GATEWAY_TIME_OUT;
  }

  int fail_io(const char* what, int err) {
    gateway_error_ = WSGID_GATEWAY_PROTOCOL;
    log_request(r_, APLOG_ERR, err, "WSGID0112", "%s on the connection to daemon group '%s' failed",
                what, g_.name);
    if (response_started()) return broken_response();
    done_ = true;
    return HTTP_BAD_GATEWAY;
  }

  request_rec* r_;
  const DaemonGroup& g_;
  int fd_;
  bool reused_;      // taken from the pool: a Hello went out with an earlier exchange
  bool replayable_;  // everything sent is kept until the answer begins, for one resend
  bool retried_ = false;
  int gateway_error_ = -1;
  ResponseSink& response_;
  apr_interval_time_t timeout_ = 0;
  RequestStream stream_;
  wire::FrameDecoder decoder_;
  // Body frames from this size on are received into blocks when they have not arrived whole;
  // smaller ones are gathered in the decoder, whose first buffer they fit.
  static constexpr std::size_t kDirectMin = 1024;
  BodyBlocks body_;  // the current such frame's payload
  ReceivedFds fds_;  // descriptors received for ResponseFile frames not yet decoded
  bool send_failed_ = false;
  bool done_ = false;
  std::size_t delivered_ = 0;         // bytes of this exchange the socket accepted
  int writes_ = 0;                    // sendmsg calls that delivered bytes
  bool response_frame_seen_ = false;  // any frame but GoAway
  bool retry_ = false;
  bool end_seen_ = false;
  std::uint8_t end_flags_ = 0;
};

int run_exchange(request_rec* r, const DaemonGroup& group, const ExchangeRequest& request,
                 ResponseSink& response, ExchangeResult& result) {
  // Without a body, everything sent is the head: always kept for a resend.
  const bool replayable = !request.send_body || (!r->read_chunked && r->remaining <= kReplayLimit);
  int fd = replayable ? idle_connections().take(group) : -1;
  const bool reused = fd >= 0;
  if (!reused) fd = connect_daemon(r, group);
  if (fd < 0) {
    result.gateway_error = WSGID_GATEWAY_CONNECT_FAILED;
    return HTTP_SERVICE_UNAVAILABLE;
  }
  Exchange exchange(r, group, fd, reused, replayable, request, response);
  int rc = exchange.run();
  if (exchange.wants_retry()) {
    // The retry goes on a new connection, which never ends in a retry: at most one.
    log_request(r, APLOG_DEBUG, 0, "WSGID0113",
                "daemon group '%s' closed the connection without reading the request (the "
                "process is draining, was restarted or died): sending it on a new connection",
                group.name);
    forget_ring(fd);
    close(fd);
    fd = connect_daemon(r, group);
    if (fd < 0) {
      result.gateway_error = WSGID_GATEWAY_CONNECT_FAILED;
      return HTTP_SERVICE_UNAVAILABLE;
    }
    rc = exchange.resume(fd);
  }
  result.gateway_error = exchange.gateway_error();
  if (!exchange.released()) {
    forget_ring(fd);
    close(fd);
  }
  return rc;
}

}  // namespace

int exchange_with_daemon(request_rec* r, const DaemonGroup& group, std::string_view head_payload,
                         const ExchangeOptions& options, ExchangeResult& result) {
  const char* redirect = nullptr;
  {
    ClientResponse response(r, group.name, options.error_override);
    const int rc = run_exchange(r, group, {head_payload, true}, response, result);
    if (rc != OK || !response.redirect_to()) return rc;
    redirect = response.redirect_to();
  }
  r->method = "GET";
  r->method_number = M_GET;
  apr_table_unset(r->headers_in, "Content-Length");
  ap_internal_redirect_handler(redirect, r);
  return OK;
}

int call_daemon(request_rec* r, const DaemonGroup& group, std::string_view head_payload,
                ResponseSink& answer, ExchangeResult& result) {
  return run_exchange(r, group, {head_payload, false}, answer, result);
}

}  // namespace wsgid
