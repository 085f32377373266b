#include "client_response.hpp"

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <util_filter.h>

#include <unistd.h>

#include <cstdint>

#include "log.hpp"
#include "wire_protocol.hpp"

namespace wsgid {
namespace {

apr_status_t close_fd(void* data) {
  close(static_cast<int>(reinterpret_cast<intptr_t>(data)));
  return APR_SUCCESS;
}

}  // namespace

ClientResponse::ClientResponse(request_rec* r, const char* group, bool error_override)
    : r_(r),
      group_(group),
      error_override_(error_override),
      bb_(apr_brigade_create(r->pool, r->connection->bucket_alloc)) {}

bool ClientResponse::apply_head(std::string_view payload) {
  wire::ResponseHeadView head;
  if (!wire::parse_response_head(payload, head)) return false;
  head_seen_ = true;
  if (error_override_ && ap_is_HTTP_ERROR(head.status)) {
    // httpd's ErrorDocument replaces the application's body; its headers go with it.
    mode_ = Mode::kDiscard;
    override_status_ = head.status;
    return true;
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
  return true;
}

int ClientResponse::add_body(std::string_view payload) {
  if (mode_ != Mode::kPass) return OK;
  APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_heap_create(payload.data(), payload.size(), nullptr,
                                                      r_->connection->bucket_alloc));
  // Frames that arrived together go to httpd together (at the end of this batch), so a
  // small response ends up in one brigade with its EOS and gets a Content-Length.
  pending_bytes_ += payload.size();
  body_passed_ += payload.size();
  return pending_bytes_ >= kPassThreshold ? pass() : OK;
}

int ClientResponse::add_block(char* block, std::size_t n) {
  if (mode_ != Mode::kPass) {
    apr_bucket_free(block);
    return OK;
  }
  apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
  APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_heap_create(block, n, apr_bucket_free, ba));
  pending_bytes_ += n;
  body_passed_ += n;
  return pending_bytes_ >= kPassThreshold ? pass() : OK;
}

int ClientResponse::add_shared(const char* bytes, std::size_t n) {
  if (mode_ != Mode::kPass) {
    ring_->release(n);
    return OK;
  }
  APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_transient_create(bytes, n, r_->connection->bucket_alloc));
  shared_pending_ += n;
  pending_bytes_ += n;
  body_passed_ += n;
  return pending_bytes_ >= kPassThreshold ? pass() : OK;
}

// The file's bytes go out as a file bucket, which httpd sends with sendfile when
// EnableSendfile allows (else mmap or read): they never cross the socket.
bool ClientResponse::add_file(int fd, std::uint64_t offset, std::uint64_t length) {
  if (mode_ != Mode::kPass) {
    close(fd);
    return true;
  }
  // The request pool outlives every bucket of its response (the EOR bucket destroys it only
  // after the data before it is written), so the descriptor is closed with it.
  apr_pool_cleanup_register(r_->pool, reinterpret_cast<void*>(static_cast<intptr_t>(fd)), close_fd,
                            apr_pool_cleanup_null);
  const auto* core =
      static_cast<const core_dir_config*>(ap_get_core_module_config(r_->per_dir_config));
  apr_int32_t flags = APR_FOPEN_READ;
  if (core->enable_sendfile == ENABLE_SENDFILE_ON) flags |= APR_FOPEN_SENDFILE_ENABLED;
  apr_file_t* file = nullptr;
  apr_os_file_t os_fd = fd;
  if (apr_os_file_put(&file, &os_fd, flags, r_->pool) != APR_SUCCESS) return false;
  apr_brigade_insert_file(bb_, file, static_cast<apr_off_t>(offset), static_cast<apr_off_t>(length),
                          r_->pool);
  pending_bytes_ += 1;  // passed at the end of this batch
  body_passed_ += length;
  return true;
}

int ClientResponse::settle_ring() {
  const int rc = shared_pending_ > 0 && mode_ == Mode::kPass ? pass() : OK;
  hand_back();
  return rc;
}

int ClientResponse::end() {
  if (mode_ == Mode::kDiscard) return override_status_;
  if (mode_ == Mode::kRedirect) {
    redirect_ = apr_table_get(r_->headers_out, "Location");
    return OK;
  }
  APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_eos_create(r_->connection->bucket_alloc));
  const int rc = pass();
  hand_back();
  return rc;
}

int ClientResponse::flush() {
  int rc = OK;
  if (head_seen_ && mode_ == Mode::kPass) {
    // The whole declared body is here and ResponseEnd is on its way: wait for it, so the
    // connection is back in the pool before the client can send its next request. Ring bytes
    // still go to httpd now: only passed ones can go back to a daemon that may be waiting.
    const bool whole = r_->clength > 0 && body_passed_ >= static_cast<std::uint64_t>(r_->clength);
    if (!whole) {
      APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_flush_create(r_->connection->bucket_alloc));
    }
    if (!whole || shared_pending_ > 0) rc = pass();
  }
  hand_back();  // the worker waits for the daemon next, which may be waiting for room
  return rc;
}

void ClientResponse::broken() {
  r_->connection->keepalive = AP_CONN_CLOSE;
  r_->no_cache = 1;
  apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
  APR_BRIGADE_INSERT_TAIL(bb_, ap_bucket_error_create(HTTP_BAD_GATEWAY, nullptr, r_->pool, ba));
  APR_BRIGADE_INSERT_TAIL(bb_, apr_bucket_eos_create(ba));
  ap_pass_brigade(r_->output_filters, bb_);
  apr_brigade_cleanup(bb_);
  release_shared();
  hand_back();
}

int ClientResponse::pass() {
  pending_bytes_ = 0;
  // Ring bytes are written before the pass returns, not set aside: the core output filter
  // keeps what a non-blocking write left over by copying a transient bucket to the heap, which
  // costs the copy the ring saves. A flush makes it write them all.
  if (shared_pending_ > 0) {
    apr_bucket* flush = apr_bucket_flush_create(r_->connection->bucket_alloc);
    apr_bucket* last = APR_BRIGADE_LAST(bb_);
    if (APR_BUCKET_IS_EOS(last))
      APR_BUCKET_INSERT_BEFORE(last, flush);
    else
      APR_BRIGADE_INSERT_TAIL(bb_, flush);
  }
  const apr_status_t rv = ap_pass_brigade(r_->output_filters, bb_);
  apr_brigade_cleanup(bb_);
  release_shared();
  if (rv != APR_SUCCESS || r_->connection->aborted) {
    log_request(r_, APLOG_DEBUG, rv, "WSGID0110",
                "client went away while receiving the response from daemon group '%s'", group_);
    client_gone_ = true;
  }
  return OK;
}

}  // namespace wsgid
