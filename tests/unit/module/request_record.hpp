// A request_rec as httpd's post_read_request hooks see it, on a real APR pool with real
// tables, for testing those hooks without a running httpd. Only the fields they read are set.
#pragma once

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <httpd.h>

#include <string>

namespace wsgid::testing {

class RequestRecord {
 public:
  RequestRecord() {
    apr_initialize();  // reference-counted: one per record is fine
    apr_pool_create(&pool_, nullptr);
    r_.pool = pool_;
    r_.headers_in = apr_table_make(pool_, 8);
    r_.headers_out = apr_table_make(pool_, 8);
    r_.err_headers_out = apr_table_make(pool_, 8);
    r_.subprocess_env = apr_table_make(pool_, 8);
  }
  RequestRecord(const RequestRecord&) = delete;
  RequestRecord& operator=(const RequestRecord&) = delete;
  ~RequestRecord() {
    apr_pool_destroy(pool_);
    apr_terminate();
  }

  request_rec* get() { return &r_; }
  request_rec* operator->() { return &r_; }
  // A table's value, "" when absent.
  static std::string value(const apr_table_t* table, const char* key) {
    const char* v = apr_table_get(table, key);
    return v ? v : "";
  }

 private:
  apr_pool_t* pool_ = nullptr;
  request_rec r_{};
};

}  // namespace wsgid::testing
