#include "health_handlers.hpp"

#include <ap_mpm.h>
#include <http_protocol.h>
#include <scoreboard.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "metrics_text.hpp"

namespace wsgid {
namespace {

std::vector<const wsgid_group_slot*> configured_groups() {
  std::vector<const wsgid_group_slot*> out;
  const GlobalConfig& gc = global_config();
  if (!gc.groups) return out;
  auto** groups = reinterpret_cast<DaemonGroup**>(gc.groups->elts);
  for (int i = 0; i < gc.groups->nelts; ++i) out.push_back(groups[i]->slot);
  return out;
}

bool httpd_stopping() {
  int state = 0;
  return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS && state == AP_MPMQ_STOPPING;
}

WorkerCounts worker_counts() {
  WorkerCounts counts;
  if (!ap_exists_scoreboard_image()) return counts;
  int daemons = 0, threads = 0;
  ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &daemons);
  ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &threads);
  for (int i = 0; i < daemons; ++i) {
    const process_score* ps = ap_get_scoreboard_process(i);
    if (!ps || ps->pid == 0 || ps->quiescing) continue;
    for (int j = 0; j < threads; ++j) {
      const worker_score* ws = ap_get_scoreboard_worker_from_indexes(i, j);
      if (!ws) continue;
      switch (ws->status) {
        case SERVER_READY:
          ++counts.idle;
          break;
        case SERVER_DEAD:
        case SERVER_STARTING:
        case SERVER_IDLE_KILL:
          break;
        default:
          ++counts.busy;
          break;
      }
    }
  }
  return counts;
}

std::uint64_t rss_bytes(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/statm", static_cast<int>(pid));
  FILE* f = std::fopen(path, "re");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<std::uint64_t>(resident) *
                      static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE))
                : 0;
}

int respond(request_rec* r, int status, const char* content_type, const std::string& body) {
  r->status = status;
  ap_set_content_type(r, content_type);
  apr_table_setn(r->headers_out, "Cache-Control", "no-store");
  ap_set_content_length(r, static_cast<apr_off_t>(body.size()));
  if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
  return OK;
}

}  // namespace

int handle_health_request(request_rec* r) {
  if (!r->handler || std::strncmp(r->handler, "wsgid-", 6) != 0) return DECLINED;
  const char* which = r->handler + 6;
  if (std::strcmp(which, "health") != 0 && std::strcmp(which, "ready") != 0 &&
      std::strcmp(which, "metrics") != 0) {
    return DECLINED;
  }
  r->allowed |= (AP_METHOD_BIT << M_GET);
  if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
  if (std::strcmp(which, "health") == 0) {
    return respond(r, HTTP_OK, "application/json", "{\"status\":\"ok\"}\n");
  }
  const std::vector<const wsgid_group_slot*> groups = configured_groups();
  if (std::strcmp(which, "ready") == 0) {
    const bool stopping = httpd_stopping();
    return respond(r, is_ready(groups, stopping) ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE,
                   "application/json", readiness_json(groups, stopping));
  }
  return respond(r, HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                 prometheus_text(groups, worker_counts(), rss_bytes));
}

}  // namespace wsgid
