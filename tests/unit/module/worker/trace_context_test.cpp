// W3C traceparent at the edge: a valid one is kept, anything else is replaced by a new sampled
// one (dropping its tracestate), the trace id goes to the access log, and internal redirects
// and subrequests stay in the trace of their origin.
#include "worker/trace_context.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "request_record.hpp"

namespace wsgid {
namespace {

using testing::RequestRecord;

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

bool made_here(const std::string& value) {
  return std::regex_match(value, std::regex("00-[0-9a-f]{32}-[0-9a-f]{16}-01"));
}

TEST(TraceContext, ValidTraceparents) {
  EXPECT_TRUE(valid_traceparent(kValid));
  EXPECT_TRUE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
  // A later version may carry more after a '-'.
  EXPECT_TRUE(valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_TRUE(valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz"));
}

TEST(TraceContext, InvalidTraceparents) {
  const std::string v = kValid;
  EXPECT_FALSE(valid_traceparent(""));
  EXPECT_FALSE(valid_traceparent(v.substr(0, 54)));           // too short
  EXPECT_FALSE(valid_traceparent(v + "-extra"));              // more in version 00
  EXPECT_FALSE(valid_traceparent("01" + v.substr(2) + "x"));  // later: '-' first
  EXPECT_FALSE(valid_traceparent("ff" + v.substr(2)));        // forbidden version
  EXPECT_FALSE(valid_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  EXPECT_FALSE(valid_traceparent("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x"));
}

TEST(TraceContext, KeepsAValidTraceparentAndLogsItsTraceId) {
  RequestRecord r;
  apr_table_set(r->headers_in, "traceparent", kValid);
  apr_table_set(r->headers_in, "tracestate", "vendor=1");
  EXPECT_EQ(assign_trace_context(r.get()), DECLINED);
  EXPECT_EQ(RequestRecord::value(r->headers_in, "traceparent"), kValid);
  EXPECT_EQ(RequestRecord::value(r->headers_in, "tracestate"), "vendor=1");
  EXPECT_EQ(RequestRecord::value(r->subprocess_env, "WSGID_TRACE_ID"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(TraceContext, ReplacesAnInvalidOneWithANewSampledTraceAndDropsItsState) {
  RequestRecord r;
  apr_table_set(r->headers_in, "traceparent", "00-garbage");
  apr_table_set(r->headers_in, "tracestate", "vendor=1");
  assign_trace_context(r.get());
  const std::string made = RequestRecord::value(r->headers_in, "traceparent");
  EXPECT_TRUE(made_here(made)) << made;
  EXPECT_TRUE(valid_traceparent(made)) << made;
  EXPECT_EQ(apr_table_get(r->headers_in, "tracestate"), nullptr);
  EXPECT_EQ(RequestRecord::value(r->subprocess_env, "WSGID_TRACE_ID"), made.substr(3, 32));

  RequestRecord none;
  assign_trace_context(none.get());
  const std::string other = RequestRecord::value(none->headers_in, "traceparent");
  EXPECT_TRUE(made_here(other)) << other;
  EXPECT_NE(other.substr(3, 32), made.substr(3, 32));
}

TEST(TraceContext, InternalRedirectsAndSubrequestsStayInTheOriginsTrace) {
  RequestRecord origin;
  assign_trace_context(origin.get());
  const std::string trace = RequestRecord::value(origin->headers_in, "traceparent");
  RequestRecord redirect;
  redirect->prev = origin.get();
  assign_trace_context(redirect.get());
  EXPECT_EQ(RequestRecord::value(redirect->headers_in, "traceparent"), trace);
  RequestRecord sub;
  sub->main = redirect.get();
  assign_trace_context(sub.get());
  EXPECT_EQ(RequestRecord::value(sub->subprocess_env, "WSGID_TRACE_ID"), trace.substr(3, 32));
}

}  // namespace
}  // namespace wsgid
