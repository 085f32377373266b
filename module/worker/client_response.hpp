// The httpd response that a daemon's response frames fill, on the worker's side of an exchange
// (daemon_exchange.cpp): status and headers from the head, body bytes as heap buckets passed
// to the output filters in small batches, files as file buckets (sendfile), and the three
// outcomes of a head: passed to the client, discarded for httpd's ErrorDocument
// (WSGIErrorOverride), or a local redirect (a 200 with a local Location). Body bytes in the
// connection's ring (wire_protocol.hpp, kRing) go to httpd as transient buckets that point into
// it, and are released to the daemon once the output filters have returned: httpd's contract is
// that a filter keeping a transient bucket sets it aside, which copies it.
#pragma once

#include <apr_buckets.h>
#include <httpd.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "response_sink.hpp"

namespace wsgid {

class ClientResponse final : public ResponseSink {
 public:
  // `group` names the daemon group in log lines.
  ClientResponse(request_rec* r, const char* group, bool error_override);
  ~ClientResponse() override {
    apr_brigade_cleanup(bb_);
    release_shared();
    hand_back();
  }
  ClientResponse(const ClientResponse&) = delete;
  ClientResponse& operator=(const ClientResponse&) = delete;

  bool head_seen() const override { return head_seen_; }
  // Whether the client has been sent (or promised) anything yet.
  bool started() const override { return head_seen_ && mode_ == Mode::kPass; }
  // The client went away while being sent the response (logged, WSGID0110): stop.
  bool client_gone() const override { return client_gone_; }
  // Set when the response was a 200 with a local Location: httpd serves that URL instead.
  const char* redirect_to() const { return redirect_; }

  // The response head: status and headers. False when the payload is malformed.
  bool apply_head(std::string_view payload) override;
  // A body frame's payload, copied: it lives in the decoder's buffer.
  int add_body(std::string_view payload) override;
  // `n` bytes of body in `block`, a block from the connection's bucket allocator, which the
  // response now owns.
  int add_block(char* block, std::size_t n) override;
  // A file's bytes: `fd` is closed with the request pool. False if APR cannot take it.
  bool add_file(int fd, std::uint64_t offset, std::uint64_t length) override;
  // Ring bytes, passed without a copy and handed back after the pass.
  int add_shared(const char* bytes, std::size_t n) override;
  int settle_ring() override;
  // ResponseEnd: the response is passed on with its EOS, or ErrorOverride's status returned.
  int end() override;
  // The end of a batch of frames: what they added goes to httpd together.
  int pass_batch() override { return pending_bytes_ > 0 && mode_ == Mode::kPass ? pass() : OK; }
  // Pushes what the client has been given so far (before the worker waits for the daemon).
  int flush() override;
  // After the head has gone out, a failure can no longer become a status code: end the
  // response so the client sees it broken (no terminating chunk, short body, closed
  // connection).
  void broken() override;

 private:
  enum class Mode { kPass, kDiscard, kRedirect };
  int pass();
  // After a pass: httpd holds no transient bucket any more, so the ring bytes it had are free.
  // They are handed back in halves of the ring, not per pass: each hand-back can wake the
  // daemon, and on a full ring that is a wake-up per chunk. All of them go back before the
  // worker waits for the daemon (flush) and at the end, so a full ring always drains.
  void release_shared() {
    unreleased_ += shared_pending_;
    shared_pending_ = 0;
    if (ring_ && unreleased_ >= ring_->data_size() / 2) hand_back();
  }
  // Only bytes already passed (or whose buckets were destroyed unread).
  void hand_back() {
    if (ring_) ring_->release(unreleased_);
    unreleased_ = 0;
  }

  request_rec* r_;
  const char* group_;
  bool error_override_;
  apr_bucket_brigade* bb_;
  Mode mode_ = Mode::kPass;
  bool head_seen_ = false;
  bool client_gone_ = false;
  int override_status_ = OK;
  const char* redirect_ = nullptr;
  // What the worker holds of a response is what it has received and not passed to httpd yet,
  // plus what the core output filter sets aside for a slow client (up to its 64 KiB flush
  // threshold). Each connection's allocator keeps that many blocks once they are freed, so
  // batches are small: one receive (a few blocks) and at most this between passes.
  static constexpr std::size_t kPassThreshold = 32 * 1024;
  std::size_t pending_bytes_ = 0;
  std::uint64_t body_passed_ = 0;
  std::size_t shared_pending_ = 0;  // ring bytes in bb_, not yet passed
  std::size_t unreleased_ = 0;      // ring bytes passed, not yet handed back
};

}  // namespace wsgid
