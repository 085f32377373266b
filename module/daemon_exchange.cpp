#include "daemon_exchange.hpp"

#include <apr_buckets.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mpm_common.h>
#include <util_filter.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "daemon_connection.hpp"
#include "log.hpp"
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

// Response bytes are received into blocks of the size httpd's own socket reads use: the
// connection's bucket allocator keeps freed ones on its free list for the next response (a
// static worker's allocators hold the same blocks), and hands out no large block that would
// come from, and return to, a glibc arena of the thread.
constexpr std::size_t kBlock = APR_BUCKET_BUFF_SIZE;

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

class Exchange {
 public:
  Exchange(request_rec* r, const DaemonGroup& g, int fd, bool reused, bool replayable,
           std::string_view head, const ExchangeOptions& options)
      : r_(r),
        g_(g),
        fd_(fd),
        reused_(reused),
        replayable_(replayable),
        options_(options),
        bb_(apr_brigade_create(r->pool, r->connection->bucket_alloc)),
        stream_(r, head, hello_frame(g), !reused, replayable),
        decoder_(pool_storage(r->pool)) {
    const int seconds = g.socket_timeout > 0 ? g.socket_timeout
                                             : static_cast<int>(apr_time_sec(r->server->timeout));
    timeout_ = apr_time_from_sec(seconds);
  }
  ~Exchange() {
    for (std::size_t i = 0; i < pieces_ready_; ++i) apr_bucket_free(pieces_[i]);
    while (fds_count_ > 0) close(pop_fd());
    apr_brigade_cleanup(bb_);
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Set when the response was a 200 with a local Location: httpd serves that URL instead.
  const char* redirect_to() const { return redirect_; }
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
    while (fds_count_ > 0) close(pop_fd());
    fds_lost_ = false;
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
           !stream_.has_unsent() && !send_failed_ && decoder_.buffered() == 0 && fds_count_ == 0 &&
           frame_left_ == 0;
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
      int n = head_seen_ && mode_ == Mode::kPass ? poll(&pfd, 1, 0) : 0;
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
      iovec iov[kMaxPieces + 1];
      int count = 0;
      const std::size_t body_room = frame_left_ > 0 ? body_iovecs(iov, count) : 0;
      std::size_t room = body_room;
      if (body_room == frame_left_) {  // the decoder only gets what follows the frame
        const std::span<char> space = decoder_.prepare(wire::kHeaderSize);
        iov[count++] = {space.data(), space.size()};
        room += space.size();
      }
      const ssize_t n = receive(iov, count);
      if (n > 0) {
        const auto got = static_cast<std::size_t>(n);
        const std::size_t body = std::min(got, body_room);
        if (body > 0) {
          if (const int rc = fill_pieces(body); rc != OK || done_) return rc;
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

  // recv that also takes the descriptors of ResponseFile frames (SCM_RIGHTS). The kernel hands
  // a frame's descriptor to the read that reaches its first byte and never joins two frames'
  // descriptors in one read, so a queue in arrival order matches them to their frames.
  ssize_t receive(iovec* iov, int count) {
    alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return n;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < fds; ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        push_fd(fd);
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) fds_lost_ = true;  // the frames will find none: an error
    return n;
  }

  void push_fd(int fd) {
    if (fds_count_ == fds_.size()) {
      close(fd);  // more descriptors than frames can be waiting for: the frames find none
      fds_lost_ = true;
      return;
    }
    fds_[(fds_head_ + fds_count_++) % fds_.size()] = fd;
  }

  int pop_fd() {
    const int fd = fds_[fds_head_];
    fds_head_ = (fds_head_ + 1) % fds_.size();
    --fds_count_;
    return fd;
  }

  // A ResponseFile frame: the file's bytes go out as a file bucket, which httpd sends with
  // sendfile when EnableSendfile allows (else mmap or read): they never cross the socket.
  int add_file(std::string_view payload) {
    std::uint64_t offset = 0, length = 0;
    if (!wire::parse_response_file(payload, offset, length)) {
      return protocol_error("a malformed file frame");
    }
    if (fds_count_ == 0) {
      return protocol_error(fds_lost_ ? "file descriptors lost (MSG_CTRUNC)"
                                      : "a file frame without its descriptor");
    }
    const int fd = pop_fd();
    if (mode_ != Mode::kPass) {
      close(fd);
      return OK;
    }
    // The request pool outlives every bucket of its response (the EOR bucket destroys it only
    // after the data before it is written), so the descriptor is closed with it.
    apr_pool_cleanup_register(r_->pool, reinterpret_cast<void*>(static_cast<intptr_t>(fd)),
                              close_fd, apr_pool_cleanup_null);
    const auto* core =
        static_cast<const core_dir_config*>(ap_get_core_module_config(r_->per_dir_config));
    apr_int32_t flags = APR_FOPEN_READ;
    if (core->enable_sendfile == ENABLE_SENDFILE_ON) flags |= APR_FOPEN_SENDFILE_ENABLED;
    apr_file_t* file = nullptr;
    apr_os_file_t os_fd = fd;
    if (apr_os_file_put(&file, &os_fd, flags, r_->pool) != APR_SUCCESS) {
      return fail_io("apr_os_file_put", 0);
    }
    apr_brigade_insert_file(bb_, file, static_cast<apr_off_t>(offset),
                            static_cast<apr_off_t>(length), r_->pool);
    pending_bytes_ += 1;  // passed at the end of this batch
    body_passed_ += length;
    return OK;
  }

  static apr_status_t close_fd(void* data) {
    close(static_cast<int>(reinterpret_cast<intptr_t>(data)));
    return APR_SUCCESS;
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
          if (head_seen_) return protocol_error("a second response head");
          if (const int rc = apply_head(payload); rc != OK) return rc;
          break;
        case wire::FrameType::kResponseBody:
          if (!head_seen_) return protocol_error("body before the response head");
          if (mode_ != Mode::kPass) break;
          APR_BRIGADE_INSERT_TAIL(bb_,
                                  apr_bucket_heap_create(payload.data(), payload.size(), nullptr,
                                                         r_->connection->bucket_alloc));
          // Frames that arrived together go to httpd together (at the end of this batch), so a
          // small response ends up in one brigade with its EOS and gets a Content-Length.
          pending_bytes_ += payload.size();
          body_passed_ += payload.size();
          if (pending_bytes_ >= kPassThreshold) {
            if (const int rc = pass(); rc != OK) return rc;
          }
          break;
        case wire::FrameType::kResponseFile:
          if (!head_seen_) return protocol_error("a file before the response head");
          if (const int rc = add_file(payload); rc != OK) return rc;
          break;
        case wire::FrameType::kResponseEnd:
          if (!head_seen_) return protocol_error("end before the response head");
          done_ = true;
          end_seen_ = true;
          end_flags_ = h.flags;
          // Back to the pool before the client gets the end of its response, or its next
          // request could reach another thread of this child before the connection is idle.
          if (reusable()) {
            idle_connections().put(g_, fd_);
            fd_ = -1;
          }
          if (mode_ == Mode::kDiscard) return override_status_;
          if (mode_ == Mode::kRedirect) {
            redirect_ = apr_table_get(r_->headers_out, "Location");
            return OK;
          }
          APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_eos_create(r_->connection->bucket_alloc));
          return pass();
        case wire::FrameType::kError: {
          wire::ErrorInfo e;
          if (!wire::parse_error(payload, e)) return protocol_error("a malformed error frame");
          if (head_seen_) return protocol_error("an error frame after the response head");
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
    return pending_bytes_ > 0 && mode_ == Mode::kPass ? pass() : OK;
  }

  // A body frame too large to have arrived whole is not gathered in the decoder and then copied
  // into a bucket: what of its payload has arrived is moved into a block, and the rest is
  // received into blocks directly (heap buckets that own their block: no copy).
  bool begin_direct_body() {
    if (frame_left_ > 0) return true;  // in such a frame already: its bytes are not the decoder's
    wire::FrameHeader h;
    // Also a body that is discarded (ErrorOverride, a local redirect): the decoder, in the
    // request pool, would grow to the frame's size for nothing.
    if (!head_seen_ || !decoder_.peek_header(h)) return false;
    if (h.type != wire::FrameType::kResponseBody || h.length < kDirectMin) return false;
    const std::size_t buffered = decoder_.buffered() - wire::kHeaderSize;
    // Whole already, or (after a large head grew the decoder) more than a block: gathered.
    if (buffered >= h.length || buffered >= kBlock) return false;
    response_frame_seen_ = true;
    pieces_[0] = static_cast<char*>(apr_bucket_alloc(kBlock, r_->connection->bucket_alloc));
    pieces_ready_ = 1;
    piece_have_ = decoder_.take_partial(h, pieces_[0]);
    frame_left_ = h.length - piece_have_;
    return true;
  }

  // Room for the current body frame's next bytes: the free part of the first block, then more
  // blocks, up to kMaxPieces and never past the frame's end. Returns the bytes of room.
  std::size_t body_iovecs(iovec* iov, int& count) {
    std::size_t left = frame_left_;
    std::size_t room = 0;
    for (std::size_t i = 0; i < kMaxPieces && left > 0; ++i) {
      if (i == pieces_ready_) {
        pieces_[i] = static_cast<char*>(apr_bucket_alloc(kBlock, r_->connection->bucket_alloc));
        ++pieces_ready_;
      }
      const std::size_t have = i == 0 ? piece_have_ : 0;
      const std::size_t n = std::min(kBlock - have, left);
      iov[count++] = {pieces_[i] + have, n};
      left -= n;
      room += n;
    }
    return room;
  }

  // `n` bytes of the current body frame arrived in the blocks: full ones go to httpd.
  int fill_pieces(std::size_t n) {
    while (n > 0) {
      const std::size_t target = std::min(kBlock, piece_have_ + frame_left_);
      const std::size_t take = std::min(n, target - piece_have_);
      piece_have_ += take;
      frame_left_ -= take;
      n -= take;
      if (piece_have_ < target) break;
      char* full = pieces_[0];
      std::move(pieces_.begin() + 1, pieces_.begin() + pieces_ready_, pieces_.begin());
      --pieces_ready_;
      piece_have_ = 0;
      if (mode_ != Mode::kPass) {
        apr_bucket_free(full);
        continue;
      }
      apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
      APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_heap_create(full, target, apr_bucket_free, ba));
      pending_bytes_ += target;
      body_passed_ += target;
      if (pending_bytes_ >= kPassThreshold) {
        if (const int rc = pass(); rc != OK || done_) return rc;
      }
    }
    return OK;
  }

  int apply_head(std::string_view payload) {
    wire::ResponseHeadView head;
    if (!wire::parse_response_head(payload, head)) return protocol_error("a malformed head");
    head_seen_ = true;
    if (options_.error_override && ap_is_HTTP_ERROR(head.status)) {
      // httpd's ErrorDocument replaces the application's body; its headers go with it.
      mode_ = Mode::kDiscard;
      override_status_ = head.status;
      return OK;
    }
    r_->status = head.status;
    r_->status_line = apr_psprintf(r_->pool, "%03u %.*s", head.status,
                                   static_cast<int>(head.reason.size()), head.reason.data());
    for (const auto& [k, v] : head.headers) {
      const char* key = apr_pstrmemdup(r_->pool, k.data(), k.size());
      const char* value = apr_pstrmemdup(r_->pool, v.data(), v.size());
      if (!strcasecmp(key, "Content-Type")) {
        ap_set_content_type(r_, value);
      } else if (!strcasecmp(key, "Content-Length")) {
        apr_off_t len = 0;
        if (apr_strtoff(&len, value, nullptr, 10) == APR_SUCCESS && len >= 0) {
          ap_set_content_length(r_, len);
        }
      } else if (!strcasecmp(key, "Transfer-Encoding") || !strcasecmp(key, "Connection") ||
                 !strcasecmp(key, "Keep-Alive")) {
        continue;  // hop-by-hop: httpd owns the connection (PEP 3333)
      } else {
        apr_table_addn(r_->headers_out, key, value);
      }
    }
    // mod_wsgi's daemon-mode convention: a 200 with a local Location asks httpd to serve that
    // URL instead (e.g. a static file), as a GET; like mod_wsgi, any body is discarded.
    const char* location = apr_table_get(r_->headers_out, "Location");
    if (head.status == HTTP_OK && location && location[0] == '/') mode_ = Mode::kRedirect;
    return OK;
  }

  int pass() {
    pending_bytes_ = 0;
    const apr_status_t rv = ap_pass_brigade(r_->output_filters, bb_);
    apr_brigade_cleanup(bb_);
    if (rv != APR_SUCCESS || r_->connection->aborted) return client_gone(rv);
    return OK;
  }

  int flush_client() {
    if (!head_seen_ || done_ || mode_ != Mode::kPass) return OK;
    // The whole declared body is here and ResponseEnd is on its way: wait for it, so the
    // connection is back in the pool before the client can send its next request.
    if (r_->clength > 0 && body_passed_ >= static_cast<std::uint64_t>(r_->clength)) return OK;
    APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_flush_create(r_->connection->bucket_alloc));
    return pass();
  }

  int client_gone(apr_status_t rv) {
    log_request(r_, APLOG_DEBUG, rv, "WSGID0110",
                "client went away while receiving the response from daemon group '%s'", g_.name);
    done_ = true;
    return OK;
  }

  // After the head has gone out, a failure can no longer become a status code: end the
  // response so the client sees it broken (no terminating chunk, short body, closed connection).
  int broken_response() {
    r_->connection->keepalive = AP_CONN_CLOSE;
    r_->no_cache = 1;
    apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
    APR_BRIGADE_INSERT_TAIL(bb_, ap_bucket_error_create(HTTP_BAD_GATEWAY, nullptr, r_->pool, ba));
    APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_eos_create(ba));
    ap_pass_brigade(r_->output_filters, bb_);
    apr_brigade_cleanup(bb_);
    done_ = true;
    return OK;
  }

  // Whether the client has been sent (or promised) anything yet.
  bool response_started() const { return head_seen_ && mode_ == Mode::kPass; }

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

  enum class Mode { kPass, kDiscard, kRedirect };

  request_rec* r_;
  const DaemonGroup& g_;
  int fd_;
  bool reused_;      // taken from the pool: a Hello went out with an earlier exchange
  bool replayable_;  // everything sent is kept until the answer begins, for one resend
  bool retried_ = false;
  ExchangeOptions options_;
  Mode mode_ = Mode::kPass;
  int override_status_ = OK;
  const char* redirect_ = nullptr;
  int gateway_error_ = -1;
  apr_bucket_brigade* bb_;
  apr_interval_time_t timeout_ = 0;
  RequestStream stream_;
  wire::FrameDecoder decoder_;
  // What the worker holds of a response is what it has received and not passed to httpd yet,
  // plus what the core output filter sets aside for a slow client (up to its 64 KiB flush
  // threshold). Each connection's allocator keeps that many blocks once they are freed, so
  // batches are small: one receive (kMaxPieces blocks) and at most this between passes.
  static constexpr std::size_t kPassThreshold = 32 * 1024;
  // Body frames from this size on are received into blocks when they have not arrived whole;
  // smaller ones are gathered in the decoder, whose first buffer they fit.
  static constexpr std::size_t kDirectMin = 1024;
  static constexpr std::size_t kMaxPieces = 4;  // blocks of a body one receive fills at most
  std::array<char*, kMaxPieces> pieces_{};      // blocks for the current body frame's payload
  std::size_t pieces_ready_ = 0;                // allocated, the first partly filled
  std::size_t piece_have_ = 0;                  // bytes in the first
  std::size_t frame_left_ = 0;                  // payload of that frame not received yet
  std::array<int, 8> fds_{};  // descriptors received for ResponseFile frames not yet decoded
  std::size_t fds_head_ = 0;
  std::size_t fds_count_ = 0;
  bool fds_lost_ = false;
  std::size_t pending_bytes_ = 0;
  std::uint64_t body_passed_ = 0;
  bool send_failed_ = false;
  bool head_seen_ = false;
  bool done_ = false;
  std::size_t delivered_ = 0;         // bytes of this exchange the socket accepted
  int writes_ = 0;                    // sendmsg calls that delivered bytes
  bool response_frame_seen_ = false;  // any frame but GoAway
  bool retry_ = false;
  bool end_seen_ = false;
  std::uint8_t end_flags_ = 0;
};

}  // namespace

int exchange_with_daemon(request_rec* r, const DaemonGroup& group, std::string_view head_payload,
                         const ExchangeOptions& options, ExchangeResult& result) {
  const char* redirect = nullptr;
  {
    const bool replayable = !r->read_chunked && r->remaining <= kReplayLimit;
    int fd = replayable ? idle_connections().take(group) : -1;
    const bool reused = fd >= 0;
    if (!reused) fd = connect_daemon(r, group);
    if (fd < 0) {
      result.gateway_error = WSGID_GATEWAY_CONNECT_FAILED;
      return HTTP_SERVICE_UNAVAILABLE;
    }
    Exchange exchange(r, group, fd, reused, replayable, head_payload, options);
    int rc = exchange.run();
    if (exchange.wants_retry()) {
      // The retry goes on a new connection, which never ends in a retry: at most one.
      log_request(r, APLOG_DEBUG, 0, "WSGID0113",
                  "daemon group '%s' closed the connection without reading the request (the "
                  "process is draining, was restarted or died): sending it on a new connection",
                  group.name);
      close(fd);
      fd = connect_daemon(r, group);
      if (fd < 0) {
        result.gateway_error = WSGID_GATEWAY_CONNECT_FAILED;
        return HTTP_SERVICE_UNAVAILABLE;
      }
      rc = exchange.resume(fd);
    }
    result.gateway_error = exchange.gateway_error();
    if (!exchange.released()) close(fd);
    if (rc != OK || !exchange.redirect_to()) return rc;
    redirect = exchange.redirect_to();
  }
  r->method = "GET";
  r->method_number = M_GET;
  apr_table_unset(r->headers_in, "Content-Length");
  ap_internal_redirect_handler(redirect, r);
  return OK;
}

}  // namespace wsgid
