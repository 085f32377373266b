// W3C Trace Context at the edge: a client's valid `traceparent` is kept, anything else is
// replaced by a new one, so every request reaches the app (HTTP_TRACEPARENT) with one and its
// trace id is in the access log (%{WSGID_TRACE_ID}e) beside the request id: log lines join the
// app's OpenTelemetry spans.
#pragma once

#include <httpd.h>

#include <string_view>

namespace wsgid {

int assign_trace_context(request_rec* r);  // post_read_request hook

// https://www.w3.org/TR/trace-context/#traceparent-header: version 00 is exactly
// "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", lowercase, ids not all zero; a later
// version (not ff) starts the same way and may carry more after a '-'.
bool valid_traceparent(std::string_view value);

}  // namespace wsgid
