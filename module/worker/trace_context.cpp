#include "trace_context.hpp"

#include <apr_strings.h>
#include <http_protocol.h>

namespace wsgid {
namespace {

bool lower_hex(std::string_view text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(std::string_view text) {
  return text.find_first_not_of('0') == std::string_view::npos;
}

void append_hex(char* out, const unsigned char* bytes, std::size_t count) {
  static const char digits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < count; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0xf];
  }
}

constexpr std::size_t kLength = 55;  // "00-" 32 "-" 16 "-" 2

}  // namespace

bool valid_traceparent(std::string_view value) {
  if (value.size() < kLength) return false;
  const std::string_view version = value.substr(0, 2);
  const std::string_view trace_id = value.substr(3, 32);
  const std::string_view parent_id = value.substr(36, 16);
  const std::string_view flags = value.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || value[2] != '-' || value[35] != '-' ||
      value[52] != '-' || !lower_hex(trace_id) || !lower_hex(parent_id) || !lower_hex(flags) ||
      all_zero(trace_id) || all_zero(parent_id)) {
    return false;
  }
  if (version == "00") return value.size() == kLength;
  return value.size() == kLength || value[kLength] == '-';
}

int assign_trace_context(request_rec* r) {
  // Internal redirects and subrequests belong to the trace of the request they came from.
  const request_rec* origin = r;
  while (origin->prev) origin = origin->prev;
  while (origin->main) origin = origin->main;
  const char* header = origin != r ? apr_table_get(origin->headers_in, "traceparent") : nullptr;
  if (!header) {
    header = apr_table_get(r->headers_in, "traceparent");
    if (!header || !valid_traceparent(header)) {
      // Sampled (flags 01): an app's default ParentBased sampler would otherwise drop every
      // trace that starts here.
      unsigned char bytes[24];
      ap_random_insecure_bytes(bytes, sizeof(bytes));
      char* made = static_cast<char*>(apr_palloc(r->pool, kLength + 1));
      apr_cpystrn(made, "00-", 4);
      append_hex(made + 3, bytes, 16);
      made[35] = '-';
      append_hex(made + 36, bytes + 16, 8);
      apr_cpystrn(made + 52, "-01", 4);
      header = made;
      // A tracestate belongs to the traceparent it came with.
      apr_table_unset(r->headers_in, "tracestate");
    }
  }
  apr_table_set(r->headers_in, "traceparent", header);
  apr_table_setn(r->subprocess_env, "WSGID_TRACE_ID", apr_pstrndup(r->pool, header + 3, 32));
  return DECLINED;
}

}  // namespace wsgid
