#include "daemon_exchange.hpp"

#include <apr_buckets.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mpm_common.h>
#include <util_filter.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "log.hpp"

namespace wsgid {
namespace {

// A request goes on a reused connection only if everything it sends can be kept for a resend
// (see Exchange::wants_retry): a body of known length up to one read chunk.
constexpr apr_off_t kReplayLimit = 256 * 1024;
constexpr int kSocketBuffer = 1 << 20;  // the kernel doubles it; capped by net.core.wmem_max

// This worker child's idle connections to daemons, per daemon socket, most recently used
// first. A connection here has ended an exchange with a kKeepAlive ResponseEnd.
class ConnectionPool {
 public:
  // A live idle connection, or -1. One whose daemon has since closed it (GoAway or EOF
  // waiting) is dropped here, before anything is sent on it.
  int take(const DaemonGroup& g) {
    for (;;) {
      int fd = -1;
      {
        std::lock_guard lock(mutex_);
        auto it = idle_.find(g.socket_path);
        if (it == idle_.end() || it->second.empty()) return -1;
        fd = it->second.back();
        it->second.pop_back();
      }
      pollfd p{fd, POLLIN | POLLRDHUP, 0};
      if (poll(&p, 1, 0) == 0) return fd;
      close(fd);
    }
  }

  // Keeps at most one idle connection per daemon thread of the group: the daemons keep no more.
  void put(const DaemonGroup& g, int fd) {
    const std::size_t cap = static_cast<std::size_t>(std::max(1, g.processes * g.threads));
    {
      std::lock_guard lock(mutex_);
      std::vector<int>& fds = idle_[g.socket_path];
      if (fds.size() < cap) {
        fds.push_back(fd);
        return;
      }
    }
    close(fd);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<int>> idle_;
};

ConnectionPool& pool() {
  static ConnectionPool* p = new ConnectionPool;  // never destroyed: used until the child exits
  return *p;
}

int poll_ms(apr_time_t deadline) {
  const apr_time_t left = deadline - apr_time_now();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<apr_time_t>(apr_time_as_msec(left) + 1, 60 * 60 * 1000));
}

// Connects within connect-timeout. A full backlog (EAGAIN) or a socket not there yet (during a
// restart) is retried; the daemons may be busy or restarting.
int connect_daemon(request_rec* r, const DaemonGroup& g) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, g.socket_path, sizeof(addr.sun_path) - 1);
  auto addr_len = static_cast<socklen_t>(sizeof(addr));
  if (g.socket_path[0] == '@') {
    // The abstract namespace (embedded mode's in-process daemon): "@name" is "\0name".
    addr.sun_path[0] = '\0';
    addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                      std::min(std::strlen(g.socket_path), sizeof(addr.sun_path)));
  }
  const apr_time_t deadline = apr_time_now() + apr_time_from_sec(std::max(g.connect_timeout, 1));
  int delay_ms = 1;
  int last_errno = 0;
  while (true) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last_errno = errno;
      break;
    }
    // A UNIX socket's send buffer bounds the bytes in flight (the default is ~208 KiB): a
    // larger one lets a request body chunk go in one write instead of several wake-ups.
    const int sndbuf = kSocketBuffer;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) == 0) return fd;
    last_errno = errno;
    close(fd);
    if (last_errno != EAGAIN && last_errno != ECONNREFUSED && last_errno != ENOENT &&
        last_errno != EINTR) {
      break;
    }
    if (apr_time_now() >= deadline) break;
    // Back off between attempts; a full backlog drains as daemons accept.
    poll(nullptr, 0, delay_ms);
    delay_ms = std::min(delay_ms * 2, 50);
  }
  log_request(r, APLOG_ERR, last_errno, "WSGID0105",
              "cannot connect to daemon group '%s' at %s within connect-timeout=%d s: its "
              "processes are busy, restarting or not running (see earlier log lines)",
              g.name, g.socket_path, std::max(g.connect_timeout, 1));
  return -1;
}

class Exchange {
 public:
  Exchange(request_rec* r, const DaemonGroup& g, int fd, bool reused,
           const ExchangeOptions& options)
      : r_(r),
        g_(g),
        fd_(fd),
        reused_(reused),
        options_(options),
        bb_(apr_brigade_create(r->pool, r->connection->bucket_alloc)) {
    const int seconds = g.socket_timeout > 0 ? g.socket_timeout
                                             : static_cast<int>(apr_time_sec(r->server->timeout));
    timeout_ = apr_time_from_sec(seconds);
  }
  ~Exchange() {
    if (piece_) apr_bucket_free(piece_);
    for (const int fd : fds_) close(fd);
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Set when the response was a 200 with a local Location: httpd serves that URL instead.
  const char* redirect_to() const { return redirect_; }
  int gateway_error() const { return gateway_error_; }

  // The daemon closed a reused connection without reading this request (GoAway), or before a
  // byte of it was delivered: no part of it reached the application, so it may go again on a
  // new connection (resume). A failure that proves less (EOF or a reset after bytes were
  // delivered) is never retried: the application may have started the request.
  bool wants_retry() const { return retry_; }

  // The connection went back to the pool at ResponseEnd; the caller must not close it.
  bool released() const { return fd_ < 0; }

  int run(const std::string& head_payload) {
    if (!reused_) wire::append_hello(out_);
    wire::append_frame(out_, wire::FrameType::kRequestHead, 0, head_payload);
    body_pending_ = ap_should_client_block(r_) != 0;
    if (!body_pending_) wire::append_frame(out_, wire::FrameType::kRequestEnd, 0, {});
    return loop();
  }

  // Starts over on a fresh connection: a Hello, then every byte sent so far (a reused
  // connection's exchange keeps them all in out_), then the rest as usual.
  int resume(int fd) {
    std::string sent = std::move(out_);
    out_.clear();
    wire::append_hello(out_);
    out_ += sent;
    fd_ = fd;
    reused_ = false;
    out_pos_ = 0;
    delivered_ = 0;
    decoder_ = wire::FrameDecoder();
    send_failed_ = false;
    retry_ = false;
    done_ = false;
    return loop();
  }

 private:
  // The exchange ended cleanly and the daemon promised to read another request: the
  // connection can go back to the pool.
  bool reusable() const {
    return end_seen_ && (end_flags_ & wire::kKeepAlive) != 0 && !body_pending_ &&
           out_pos_ == out_.size() && !send_failed_ && decoder_.buffered() == 0 && fds_.empty();
  }

  int loop() {
    apr_time_t deadline = apr_time_now() + timeout_;
    while (!done_) {
      if (out_.size() - out_pos_ == 0 && body_pending_ && !send_failed_) {
        if (const int rc = read_client_body(); rc != OK) return rc;
      }
      bool want_write = out_.size() > out_pos_ && !send_failed_;
      if (want_write) {
        // Optimistically, without a poll first: the socket nearly always has room.
        const std::size_t sent = delivered_;
        write_some();
        if (done_) return OK;  // a resend was decided
        if (delivered_ != sent) deadline = apr_time_now() + timeout_;
        want_write = out_.size() > out_pos_ && !send_failed_;
        if (!want_write && body_pending_ && !send_failed_) continue;  // more body to read
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

  bool may_retry() const { return reused_ && !response_frame_seen_; }
  int retry() {
    retry_ = true;
    done_ = true;
    return OK;
  }

  int read_client_body() {
    // The frame header is written in front of the data once its length is known.
    const std::size_t chunk = 256 * 1024;
    const std::size_t start = out_.size();
    out_.resize(start + wire::kHeaderSize + chunk);
    const long n = ap_get_client_block(r_, out_.data() + start + wire::kHeaderSize, chunk);
    if (n < 0) {
      out_.resize(start);
      log_request(r_, APLOG_INFO, 0, "WSGID0109",
                  "reading the request body from the client failed (client gone or sent a bad "
                  "body)");
      return HTTP_BAD_REQUEST;
    }
    if (n == 0) {
      out_.resize(start);
      wire::append_frame(out_, wire::FrameType::kRequestEnd, 0, {});
      body_pending_ = false;
      return OK;
    }
    wire::encode_header(wire::FrameType::kRequestBody, 0, static_cast<std::uint32_t>(n),
                        reinterpret_cast<unsigned char*>(out_.data() + start));
    out_.resize(start + wire::kHeaderSize + static_cast<std::size_t>(n));
    return OK;
  }

  void write_some() {
    while (out_pos_ < out_.size()) {
      const ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
      if (n > 0) {
        out_pos_ += static_cast<std::size_t>(n);
        delivered_ += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (may_retry() && delivered_ == 0 && (errno == EPIPE || errno == ECONNRESET)) {
        retry();  // closed before our first byte: nothing of this request was delivered
        return;
      }
      // The daemon stopped reading (it answered early, or died): keep reading its response.
      send_failed_ = true;
      return;
    }
    // A reused connection's request is kept whole until it is answered, for a resend.
    if (reused_) return;
    out_.clear();
    out_pos_ = 0;
  }

  int read_some() {
    for (;;) {
      if (piece_) {
        // The rest of a large body frame, straight into the bucket memory it goes out in.
        const ssize_t n = receive(piece_ + piece_have_, piece_len_ - piece_have_);
        if (n > 0) {
          piece_have_ += static_cast<std::size_t>(n);
          if (piece_have_ < piece_len_) continue;
          if (const int rc = deliver_piece(); rc != OK || done_) return rc;
          continue;
        }
        if (n == 0) return daemon_closed();
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return OK;
        return fail_io("recv", errno);
      }
      const std::span<char> space = decoder_.prepare(64 * 1024);
      const ssize_t n = receive(space.data(), space.size());
      if (n > 0) {
        decoder_.commit(static_cast<std::size_t>(n));
        if (const int rc = process_frames(); rc != OK || done_) return rc;
        if (!piece_ && static_cast<std::size_t>(n) < space.size()) return OK;
        continue;
      }
      if ((n == 0 || errno == ECONNRESET || errno == EPIPE) && may_retry() && delivered_ == 0) {
        return retry();  // the daemon was gone before our first byte reached it
      }
      if (n == 0) return daemon_closed();
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return OK;
      return fail_io("recv", errno);
    }
  }

  // recv that also takes the descriptors of ResponseFile frames (SCM_RIGHTS). The kernel hands
  // a frame's descriptor to the read that reaches its first byte and never joins two frames'
  // descriptors in one read, so a queue in arrival order matches them to their frames.
  ssize_t receive(char* buf, std::size_t len) {
    iovec v{buf, len};
    alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &v;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) return n;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        fds_.push_back(fd);
      }
    }
    if (msg.msg_flags & MSG_CTRUNC) fds_lost_ = true;  // the frames will find none: an error
    return n;
  }

  // A ResponseFile frame: the file's bytes go out as a file bucket, which httpd sends with
  // sendfile when EnableSendfile allows (else mmap or read): they never cross the socket.
  int add_file(std::string_view payload) {
    std::uint64_t offset = 0, length = 0;
    if (!wire::parse_response_file(payload, offset, length)) {
      return protocol_error("a malformed file frame");
    }
    if (fds_.empty()) {
      return protocol_error(fds_lost_ ? "file descriptors lost (MSG_CTRUNC)"
                                      : "a file frame without its descriptor");
    }
    int fd = fds_.front();
    fds_.pop_front();
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
            pool().put(g_, fd_);
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
  // into a bucket: its payload is received into bucket memory directly, in pieces of at most
  // piece_size() that go to httpd as they fill (heap buckets that own their memory: no copy).
  bool begin_direct_body() {
    wire::FrameHeader h;
    if (!head_seen_ || mode_ != Mode::kPass || !decoder_.peek_header(h)) return false;
    if (h.type != wire::FrameType::kResponseBody || h.length < kDirectMin) return false;
    const std::size_t first = std::min<std::size_t>(h.length, piece_size());
    if (decoder_.buffered() - wire::kHeaderSize >= first) return false;  // already here
    response_frame_seen_ = true;
    frame_left_ = h.length - first;
    piece_len_ = first;
    piece_ = static_cast<char*>(apr_bucket_alloc(first, r_->connection->bucket_alloc));
    piece_have_ = decoder_.take_partial(h, piece_);
    return true;
  }

  int deliver_piece() {
    apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
    APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_heap_create(piece_, piece_len_, apr_bucket_free, ba));
    piece_ = nullptr;
    pending_bytes_ += piece_len_;
    body_passed_ += piece_len_;
    if (frame_left_ > 0) {
      piece_len_ = std::min<std::size_t>(frame_left_, piece_size());
      frame_left_ -= piece_len_;
      piece_ = static_cast<char*>(apr_bucket_alloc(piece_len_, ba));
      piece_have_ = 0;
    }
    return pending_bytes_ >= kPassThreshold ? pass() : OK;
  }

  int apply_head(std::string_view payload) {
    wire::ResponseHead head;
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
  bool reused_;  // taken from the pool: a Hello went out with an earlier exchange
  ExchangeOptions options_;
  Mode mode_ = Mode::kPass;
  int override_status_ = OK;
  const char* redirect_ = nullptr;
  int gateway_error_ = -1;
  apr_bucket_brigade* bb_;
  apr_interval_time_t timeout_ = 0;
  std::string out_;
  std::size_t out_pos_ = 0;
  wire::FrameDecoder decoder_;
  static constexpr std::size_t kPassThreshold = 256 * 1024;
  static constexpr std::size_t kDirectMin = 32 * 1024;
  // Pieces come from the connection's allocator, which keeps at most MaxMemFree of freed
  // memory and hands any block that would exceed it back to malloc at once. A piece larger than
  // that limit would be a fresh malloc (and, past glibc's mmap threshold, fresh pages) for every
  // 256 KiB of every response; a quarter of it lets freed pieces be reused.
  static std::size_t piece_size() {
    constexpr std::size_t kMax = 256 * 1024, kMin = 32 * 1024;
    if (ap_max_mem_free == APR_ALLOCATOR_MAX_FREE_UNLIMITED) return kMax;
    return std::clamp<std::size_t>(ap_max_mem_free / 4, kMin, kMax);
  }
  char* piece_ = nullptr;  // bucket memory a body frame's payload is being received into
  std::size_t piece_len_ = 0;
  std::size_t piece_have_ = 0;
  std::size_t frame_left_ = 0;  // payload of that frame still to come after this piece
  std::deque<int> fds_;         // descriptors received for ResponseFile frames not yet decoded
  bool fds_lost_ = false;
  std::size_t pending_bytes_ = 0;
  std::uint64_t body_passed_ = 0;
  bool body_pending_ = false;
  bool send_failed_ = false;
  bool head_seen_ = false;
  bool done_ = false;
  std::size_t delivered_ = 0;         // bytes of this exchange the socket accepted
  bool response_frame_seen_ = false;  // any frame but GoAway
  bool retry_ = false;
  bool end_seen_ = false;
  std::uint8_t end_flags_ = 0;
};

}  // namespace

int exchange_with_daemon(request_rec* r, const DaemonGroup& group, const std::string& head_payload,
                         const ExchangeOptions& options, ExchangeResult& result) {
  const char* redirect = nullptr;
  {
    const bool replayable = !r->read_chunked && r->remaining <= kReplayLimit;
    int fd = replayable ? pool().take(group) : -1;
    const bool reused = fd >= 0;
    if (!reused) fd = connect_daemon(r, group);
    if (fd < 0) {
      result.gateway_error = WSGID_GATEWAY_CONNECT_FAILED;
      return HTTP_SERVICE_UNAVAILABLE;
    }
    Exchange exchange(r, group, fd, reused, options);
    int rc = exchange.run(head_payload);
    if (exchange.wants_retry()) {
      // The retry goes on a new connection, which never ends in a retry: at most one.
      log_request(r, APLOG_DEBUG, 0, "WSGID0113",
                  "daemon group '%s' closed an idle connection before reading the request "
                  "(it is draining or was restarted): sending it on a new connection",
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
