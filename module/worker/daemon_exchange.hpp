// One request's conversation with a daemon: connect (or take a pooled connection), send the
// head, stream the body while streaming the response back, and turn every failure into a
// logged, coded 5xx (or, once the response has started, a visibly broken response). Python hook
// calls are the same exchange with another sink for the answer.
#pragma once

#include <httpd.h>

#include <string_view>

#include "config/config.hpp"
#include "response_sink.hpp"
#include "wire_protocol.hpp"

namespace wsgid {

struct ExchangeOptions {
  bool error_override = false;  // WSGIErrorOverride: 4xx/5xx become httpd's ErrorDocument
};

// What went wrong on the worker's side, for the scoreboard: a wsgid_gateway_error, or -1.
struct ExchangeResult {
  int gateway_error = -1;
};

// `head_payload` (the RequestHead frame's pairs) must live as long as the request pool.
int exchange_with_daemon(request_rec* r, const DaemonGroup& group, std::string_view head_payload,
                         const ExchangeOptions& options, ExchangeResult& result);

// The same exchange for a Python hook call: `head_payload` goes without the client's body, and
// the answer's frames go to `answer` instead of the client. Returns OK when ResponseEnd came
// (the answer's status is the sink's to judge), else a status after logging why (WSGID0105,
// 0106, 0108, 0111, 0112, or the daemon's Error frame).
int call_daemon(request_rec* r, const DaemonGroup& group, std::string_view head_payload,
                ResponseSink& answer, ExchangeResult& result);

}  // namespace wsgid
