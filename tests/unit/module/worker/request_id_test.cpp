// X-Request-ID at the edge: a sane client id is kept, anything that could forge a log line or a
// header is replaced by a fresh one, and internal redirects and subrequests keep their origin's.
#include "worker/request_id.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "request_record.hpp"

namespace wsgid {
namespace {

using testing::RequestRecord;

bool fresh_id(const std::string& id) { return std::regex_match(id, std::regex("[0-9a-f]{32}")); }

TEST(RequestId, AcceptsOnlyShortIdsOfSafeCharacters) {
  EXPECT_TRUE(acceptable_request_id("abc-123"));
  EXPECT_TRUE(acceptable_request_id("Root=1-5f84c7a1"));
  EXPECT_TRUE(acceptable_request_id("a.b_c:d+e/f=g@h-i"));
  EXPECT_TRUE(acceptable_request_id(std::string(128, 'x')));
  EXPECT_FALSE(acceptable_request_id(std::string(129, 'x')));
  EXPECT_FALSE(acceptable_request_id(""));
  EXPECT_FALSE(acceptable_request_id("two words"));
  EXPECT_FALSE(acceptable_request_id("forged\r\nX-Admin: 1"));
  EXPECT_FALSE(acceptable_request_id("quote\"d"));
  EXPECT_FALSE(acceptable_request_id("semi;colon"));
  EXPECT_FALSE(acceptable_request_id("caf\xc3\xa9"));
}

TEST(RequestId, KeepsASaneClientIdForLogsTheAppAndTheAnswer) {
  RequestRecord r;
  apr_table_set(r->headers_in, "X-Request-ID", "client-42");
  EXPECT_EQ(assign_request_id(r.get()), DECLINED);
  EXPECT_EQ(RequestRecord::value(r->subprocess_env, "WSGID_REQUEST_ID"), "client-42");
  EXPECT_EQ(RequestRecord::value(r->err_headers_out, "X-Request-ID"), "client-42");
}

TEST(RequestId, ReplacesAMissingOrUnsafeIdWithAFreshOne) {
  RequestRecord missing;
  assign_request_id(missing.get());
  const std::string first = RequestRecord::value(missing->subprocess_env, "WSGID_REQUEST_ID");
  EXPECT_TRUE(fresh_id(first)) << first;
  EXPECT_EQ(RequestRecord::value(missing->err_headers_out, "X-Request-ID"), first);

  RequestRecord unsafe;
  apr_table_set(unsafe->headers_in, "X-Request-ID", "x\r\nSet-Cookie: a=b");
  assign_request_id(unsafe.get());
  const std::string second = RequestRecord::value(unsafe->subprocess_env, "WSGID_REQUEST_ID");
  EXPECT_TRUE(fresh_id(second)) << second;
  EXPECT_NE(first, second);
}

TEST(RequestId, InternalRedirectsAndSubrequestsKeepTheOriginsId) {
  RequestRecord origin;
  apr_table_set(origin->headers_in, "X-Request-ID", "origin-1");
  assign_request_id(origin.get());
  RequestRecord redirect;  // ErrorDocument or mod_rewrite's internal redirect
  redirect->prev = origin.get();
  apr_table_set(redirect->headers_in, "X-Request-ID", "other-2");
  assign_request_id(redirect.get());
  EXPECT_EQ(RequestRecord::value(redirect->subprocess_env, "WSGID_REQUEST_ID"), "origin-1");
  RequestRecord sub;  // a subrequest of the redirect
  sub->main = redirect.get();
  assign_request_id(sub.get());
  EXPECT_EQ(RequestRecord::value(sub->subprocess_env, "WSGID_REQUEST_ID"), "origin-1");
}

}  // namespace
}  // namespace wsgid
