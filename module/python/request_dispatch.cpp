#include "request_dispatch.hpp"

#include <cstring>
#include <exception>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "error_log.hpp"
#include "hook_runner.hpp"
#include "interpreter.hpp"
#include "script_loader.hpp"

namespace wsgid::python {
namespace {

// The worker may still be sending a body the application did not read. Taking a little of it
// (up to RequestEnd) lets the worker finish its send instead of hitting a reset connection; a
// large unread upload is cut off by closing instead.
//
// After a kKeepAlive ResponseEnd the rest is read to RequestEnd whatever its size: the worker
// reuses the connection only if it had sent all of it (it stops sending at ResponseEnd), so
// it is bounded by what is already in flight, and stopping early would close a connection the
// worker may already have sent its next request on.
void discard_rest_of_body(Connection& conn) {
  const std::size_t max_discard =
      conn.keep_alive_promised() ? std::numeric_limits<std::size_t>::max() : 256 * 1024;
  std::size_t discarded = 0;
  try {
    while (!conn.body_complete() && discarded <= max_discard) {
      discarded += conn.next_body_chunk().size();
    }
  } catch (const ConnectionError&) {
    // The response is complete; a worker that stops sending the rest changes nothing.
  }
}

// The worker names the script as httpd sees it; this process sees it inside chroot=. The
// rewritten values point into `inner_script` and `inner_handler`.
void rewrite_for_chroot(wire::Pairs& pairs, const char* chroot, std::string& inner_script,
                        std::string& inner_handler) {
  if (chroot == nullptr || std::strcmp(chroot, "/") == 0) return;
  const std::string_view root(chroot);
  for (auto& [k, v] : pairs) {
    const bool is_script = k == "SCRIPT_FILENAME";
    if ((is_script || k == "mod_wsgi.handler_script") && v.size() > root.size() &&
        v.substr(0, root.size()) == root && v[root.size()] == '/') {
      std::string& inner = is_script ? inner_script : inner_handler;
      inner.assign(v.substr(root.size()));
      v = inner;
    }
  }
}

}  // namespace

Dispatcher::Dispatcher(const wsgid_daemon_spec& spec, const std::string& who,
                       const ProcessStatus& status, RecycleWatch& watch,
                       std::function<void(DrainReason)> request_drain,
                       std::function<bool()> keep_alive_allowed)
    : spec_(spec),
      who_(who),
      status_(status),
      watch_(watch),
      request_drain_(std::move(request_drain)),
      keep_alive_allowed_(std::move(keep_alive_allowed)) {
  settings_.multithread = spec.threads > 1;
  settings_.multiprocess = spec.processes > 1 || spec.multiprocess_option != 0;
  settings_.run_once = spec.threads == 1 && spec.maximum_requests == 1;
}

bool Dispatcher::serve(Connection& conn, ThreadSlot& slot, std::int64_t taken_us) {
  conn.start_next_request();
  std::string head_payload;
  RequestTarget target;
  // Both outlive the try block, so a dropped connection is logged with the request's id and
  // the thread counts as busy until then.
  std::optional<RequestLogScope> request_log;
  std::optional<ProcessStatus::Request> busy;
  try {
    std::string_view payload;
    wire::FrameHeader h;
    h = conn.read_frame(payload);
    // Copied: reading the body later reuses the decoder's buffer the payload points into.
    head_payload.assign(payload);
    wire::Pairs pairs;
    if (h.type != wire::FrameType::kRequestHead || !wire::parse_pairs(head_payload, pairs)) {
      log_line(LogLevel::kError,
               "WSGID0505: " + who_ + " dropped a worker connection: expected a request head");
      return false;
    }
    if (const long n = ++requests_taken_;
        spec_.maximum_requests > 0 && n >= spec_.maximum_requests) {
      request_drain_(DrainReason::kMaximumRequests);
    }
    busy.emplace(status_);
    std::string inner_script, inner_handler;
    rewrite_for_chroot(pairs, spec_.chroot, inner_script, inner_handler);
    target = request_target(pairs);
    std::int64_t waited_us = -1;
    for (const auto& [k, v] : pairs) {
      if (k == "mod_wsgi.request_id") {
        request_log.emplace(v);
      } else if (k == "mod_wsgi.queue_start") {
        waited_us = status_.observe_queue_wait(v, taken_us);
      }
    }
    conn.set_keep_alive_policy([this] { return keep_alive_allowed_(); });
    if (is_hook_request(pairs)) {
      // WSGIAccessScript/WSGIAuth*Script/WSGIDispatchScript, in a worker's in-process daemon,
      // or access and auth hooks with process-group= in this group's daemons.
      serve_hook(conn, pairs, who_);
      // Kept like a request's connection: the worker pools it for its next hook call.
      return conn.keep_alive_promised() && conn.body_complete() && !conn.broken();
    }
    if (refused_for_queue_time(conn, waited_us, target)) return false;
    if (target.script.empty()) {
      log_line(LogLevel::kError,
               "WSGID0507: request without SCRIPT_FILENAME; the worker must name the script",
               target.client);
      send_internal_error(conn);
      return false;
    }
    RecycleWatch::Busy in_flight(
        watch_, slot,
        "'" + target.script + "'" +
            (target.client.empty() ? std::string() : " for client " + target.client));
    const bool complete = run_application(conn, pairs, target);
    if (complete) discard_rest_of_body(conn);
    return complete && conn.keep_alive_promised() && conn.body_complete() && !conn.broken();
  } catch (const ConnectionError& e) {
    if (e.kind() == ConnectionError::Kind::kPeerGone && !busy && !conn.has_buffered_input()) {
      return false;  // an idle worker connection closed between requests: routine
    }
    log_connection_failure(e.kind(), e.what(), who_ + " dropped a worker connection",
                           target.client);
  } catch (const std::exception& e) {
    log_line(LogLevel::kError, std::string("WSGID0505: dropped a worker connection: ") + e.what(),
             target.client);
  }
  return false;
}

// mod_wsgi's queue-timeout: the client has likely given up; do not run the app. Answers 503.
bool Dispatcher::refused_for_queue_time(Connection& conn, std::int64_t waited_us,
                                        const RequestTarget& target) const {
  if (spec_.queue_timeout <= 0 || waited_us <= spec_.queue_timeout * 1e6) return false;
  const std::string message = "the request waited " + std::to_string(waited_us / 1000) +
                              " ms for a daemon thread, over queue-timeout=" +
                              std::to_string(static_cast<long>(spec_.queue_timeout)) +
                              " s; add processes or threads";
  log_line(LogLevel::kError, "WSGID0525: " + who_ + ": " + message, target.client);
  std::string frame;
  wire::append_error(frame, 503, "WSGID0525", message);
  conn.write_all(frame);
  return true;
}

// Runs the application in its interpreter; a changed script (or a handler script whose
// reload_required() says so) asks for a recycle afterwards. False when the response is not
// complete.
bool Dispatcher::run_application(Connection& conn, const wire::Pairs& pairs,
                                 const RequestTarget& target) {
  std::string error;
  PyThreadState* state = thread_state_for(target.application_group, error);
  if (state == nullptr) {
    log_text(LogLevel::kError, "WSGID0512: " + error, target.client);
    send_internal_error(conn);
    return false;
  }
  bool complete = false;
  bool reload_requested = false;
  {
    GilScope gil(state);
    std::string hook_error;
    if (target.handler_script && handler_reload_required(target.script, target.resource,
                                                         target.script_reloading, hook_error)) {
      if (spec_.embedded != 0) {
        // Embedded: no process to recycle; run the handler script afresh for this request.
        forget_script(target.script);
      } else {
        reload_requested = true;
      }
    } else if (!hook_error.empty()) {
      log_text(LogLevel::kError,
               "WSGID0526: " + who_ + ": reload_required('" + target.resource +
                   "') of handler script '" + target.script + "' raised, so no reload; fix it:\n" +
                   hook_error,
               target.client);
    }
    complete = run_wsgi_request(conn, pairs, target, settings_);
  }
  if (reload_requested) {
    log_line(LogLevel::kNotice, "wsgid: " + who_ + ": handler script '" + target.script +
                                    "' asked for a reload (reload_required('" + target.resource +
                                    "')); recycling");
    request_drain_(DrainReason::kScriptModified);
  }
  if (std::string modified; take_modified_script(modified)) {
    log_line(LogLevel::kNotice,
             "wsgid: " + who_ + ": WSGI script '" + modified + "' changed; recycling");
    request_drain_(DrainReason::kScriptModified);
  }
  return complete;
}

}  // namespace wsgid::python
