#include "request_handler.hpp"

#include <apr_strings.h>
#include <http_config.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_script.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "daemon_exchange.hpp"
#include "embedded_daemon.hpp"
#include "log.hpp"
#include "metrics_text.hpp"
#include "python_hooks.hpp"
#include "parent/scoreboard.hpp"
#include "wire_protocol.hpp"

namespace wsgid {
namespace {

constexpr const char* kHandlerName = "wsgi-script";

// Request-scoped result of translate_name: which alias matched.
struct Match {
  const ScriptAlias* alias;
};

// A URL prefix matches on whole path segments ("/app" matches "/app" and "/app/x", not
// "/apple"); returns how much of the URI it covers, or npos. "/" covers nothing, so the whole
// URI becomes PATH_INFO.
constexpr std::size_t kNoMatch = std::string_view::npos;

std::size_t prefix_match(const char* uri, const char* location) {
  std::string_view loc(location);
  while (!loc.empty() && loc.back() == '/') loc.remove_suffix(1);
  const std::string_view u(uri);
  if (!u.starts_with(loc)) return kNoMatch;
  if (u.size() == loc.size() || u[loc.size()] == '/') return loc.size();
  return kNoMatch;
}

}  // namespace

const char* expand_application_group(request_rec* r, const char* group) {
  if (!group || std::strcmp(group, "%{RESOURCE}") == 0) {
    const char* script_name = apr_table_get(r->subprocess_env, "SCRIPT_NAME");
    const apr_port_t port = ap_get_server_port(r);
    const char* host = r->server->server_hostname ? r->server->server_hostname : "";
    return (port == 80 || port == 443)
               ? apr_psprintf(r->pool, "%s|%s", host, script_name ? script_name : "")
               : apr_psprintf(r->pool, "%s:%u|%s", host, port, script_name ? script_name : "");
  }
  if (std::strcmp(group, "%{GLOBAL}") == 0) return "";
  if (std::strcmp(group, "%{SERVER}") == 0) {
    const apr_port_t port = ap_get_server_port(r);
    const char* host = r->server->server_hostname ? r->server->server_hostname : "";
    return (port == 80 || port == 443) ? host : apr_psprintf(r->pool, "%s:%u", host, port);
  }
  return group;
}

namespace {

// WSGI wants SCRIPT_NAME without a trailing slash; the slash moves to PATH_INFO. PATH_INFO is
// always present, empty when the URL is exactly the mount point, as in mod_wsgi.
void fix_script_name(request_rec* r) {
  if (!apr_table_get(r->subprocess_env, "PATH_INFO")) {
    apr_table_setn(r->subprocess_env, "PATH_INFO", "");
  }
  const char* script_name = apr_table_get(r->subprocess_env, "SCRIPT_NAME");
  if (!script_name) return;
  std::size_t n = std::strlen(script_name);
  if (n == 0 || script_name[n - 1] != '/') return;
  while (n > 0 && script_name[n - 1] == '/') --n;
  const char* path_info = apr_table_get(r->subprocess_env, "PATH_INFO");
  apr_table_set(r->subprocess_env, "SCRIPT_NAME", apr_pstrndup(r->pool, script_name, n));
  apr_table_set(r->subprocess_env, "PATH_INFO",
                apr_pstrcat(r->pool, "/", path_info ? path_info : "", nullptr));
}

// httpd's ap_add_cgi_vars, except PATH_TRANSLATED: httpd finds it with a full sub-request for
// PATH_INFO (URL translation, map-to-storage, directory walk, .htaccess lookups), which was the
// largest single cost of a small request in the worker, for a variable WSGI applications do not
// use. It is DOCUMENT_ROOT + PATH_INFO here, which is what httpd's lookup gives unless an Alias
// or RewriteRule covers PATH_INFO as a URL (docs/directives.md, Differences).
void add_cgi_vars(request_rec* r) {
  char* const path_info = r->path_info;
  if (!path_info || !*path_info || std::strcmp(r->protocol, "INCLUDED") == 0) {
    ap_add_cgi_vars(r);  // nothing to look up, or mod_include's special case
    return;
  }
  char empty[] = "";
  r->path_info = empty;  // SCRIPT_NAME and PATH_INFO are set right below
  ap_add_cgi_vars(r);
  r->path_info = path_info;
  apr_table_t* env = r->subprocess_env;
  apr_table_setn(env, "SCRIPT_NAME",
                 apr_pstrndup(r->pool, r->uri, ap_find_path_info(r->uri, path_info)));
  apr_table_setn(env, "PATH_INFO", path_info);
  apr_table_setn(env, "PATH_TRANSLATED",
                 apr_pstrcat(r->pool, ap_document_root(r), path_info, nullptr));
}

// The rest of mod_wsgi's per-request keys, with its values, for apps and middleware that read
// them. There is no WSGIEnableSendfile (file_wrapper is always sent efficiently) and no
// activity tracking, and a request always takes one connect, hence the constants.
void add_mod_wsgi_compat_keys(request_rec* r, bool has_handler_script) {
  apr_table_t* env = r->subprocess_env;
  const apr_sockaddr_t* local = r->connection->local_addr;
  apr_table_setn(env, "mod_wsgi.listener_host", local->hostname ? local->hostname : "");
  apr_table_setn(env, "mod_wsgi.listener_port", apr_psprintf(r->pool, "%u", local->port));
  const char* script_name = apr_table_get(env, "SCRIPT_NAME");
  apr_table_setn(env, "mod_wsgi.script_name", script_name ? script_name : "");
  const char* path_info = apr_table_get(env, "PATH_INFO");
  apr_table_setn(env, "mod_wsgi.path_info", path_info ? path_info : "");
  if (!has_handler_script) apr_table_setn(env, "mod_wsgi.handler_script", "");
  apr_table_setn(env, "mod_wsgi.enable_sendfile", "0");
  apr_table_setn(env, "mod_wsgi.ignore_activity", "0");
  apr_table_setn(env, "mod_wsgi.daemon_connects", "1");
  apr_table_setn(env, "mod_wsgi.daemon_restarts", "0");
  // httpd's PATH (from ap_add_common_vars) describes the server, not the request.
  apr_table_unset(env, "PATH");
}

// The CGI/WSGI variables of the request in r->subprocess_env, before the dispatch script (which
// sees them) and the process group are chosen.
void prepare_environ(request_rec* r, bool pass_authorization, const HandlerScript* handler) {
  ap_add_common_vars(r);
  add_cgi_vars(r);
  fix_script_name(r);
  apr_table_t* env = r->subprocess_env;
  if (pass_authorization) {
    if (const char* auth = apr_table_get(r->headers_in, "Authorization")) {
      apr_table_setn(env, "HTTP_AUTHORIZATION", auth);
    }
  }
  apr_table_setn(env, "mod_wsgi.request_handler", handler ? handler->name : kHandlerName);
  if (handler) apr_table_setn(env, "mod_wsgi.handler_script", handler->script);
  apr_table_setn(
      env, "mod_wsgi.script_reloading",
      static_cast<const DirConfig*>(ap_get_module_config(r->per_dir_config, &wsgid_module))
                  ->script_reloading == 0
          ? "0"
          : "1");
  apr_table_setn(env, "mod_wsgi.request_start",
                 apr_psprintf(r->pool, "%" APR_TIME_T_FMT, r->request_time));
  if (const char* id = apr_table_get(env, "WSGID_REQUEST_ID")) {
    apr_table_setn(env, "mod_wsgi.request_id", id);
  }
  add_mod_wsgi_compat_keys(r, handler != nullptr);
  // Reserved for hook calls to the in-process daemon (hook_protocol.hpp); a SetEnv of that
  // name must not turn this request into one.
  apr_table_unset(env, "wsgid.hook");
}

// The RequestHead payload, in the request pool: a worker thread allocates nothing per request
// from the C++ heap, whose freed blocks would stay in that thread's glibc arena.
std::string_view build_request_head(request_rec* r, const char* process_group,
                                    const char* application_group, const char* callable,
                                    bool head_as_get) {
  apr_table_t* env = r->subprocess_env;
  if (head_as_get) apr_table_setn(env, "REQUEST_METHOD", "GET");
  apr_table_setn(env, "mod_wsgi.process_group", process_group);
  apr_table_setn(env, "mod_wsgi.application_group", expand_application_group(r, application_group));
  apr_table_setn(env, "mod_wsgi.callable_object", callable);
  // The daemon measures how long the request waited for a free thread from here.
  apr_table_setn(env, "mod_wsgi.queue_start",
                 apr_psprintf(r->pool, "%" APR_TIME_T_FMT, apr_time_now()));
  const apr_array_header_t* arr = apr_table_elts(env);
  const auto* elts = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
  auto value = [](const apr_table_entry_t& e) { return std::string_view(e.val ? e.val : ""); };
  std::size_t size = wire::kPairsCountSize;
  std::uint32_t count = 0;
  for (int i = 0; i < arr->nelts; ++i) {
    if (!elts[i].key) continue;
    size += wire::pair_size(elts[i].key, value(elts[i]));
    ++count;
  }
  char* payload = static_cast<char*>(apr_palloc(r->pool, size));
  wire::PairWriter writer(payload, count);
  for (int i = 0; i < arr->nelts; ++i) {
    if (elts[i].key) writer.add(elts[i].key, value(elts[i]));
  }
  return {payload, size};
}

// WSGIMapHEADToGET: Auto passes HEAD as GET only when a content filter (mod_deflate, ...) may
// need the real body to produce the right headers; otherwise the application sees HEAD.
bool map_head_to_get(request_rec* r, MapHeadToGet setting) {
  if (!r->header_only || setting == MapHeadToGet::kOff) return false;
  if (setting == MapHeadToGet::kOn) return true;
  for (ap_filter_t* f = r->output_filters; f; f = f->next) {
    if (f->frec->ftype < AP_FTYPE_PROTOCOL) return true;
  }
  return false;
}

void record_request(wsgid_group_slot* slot, int status, apr_time_t started, int gateway_error) {
  if (!slot) return;
  const int status_class = status >= 100 && status < 600 ? status / 100 : 0;
  add(slot->requests_by_class[status_class], 1);
  const apr_time_t elapsed = apr_time_now() - started;
  wsgid_histogram_observe(&slot->duration, static_cast<uint64_t>(elapsed > 0 ? elapsed : 0));
  if (gateway_error >= 0 && gateway_error < WSGID_GATEWAY_ERRORS) {
    add(slot->gateway_errors[gateway_error], 1);
  }
}

// While the group's last start failed and none of its processes is ready, a request would wait
// in the socket's backlog for socket-timeout and fail as a slow app (504). Answer 503 at once
// instead, naming the cause in the log. The body gives only the code: the exception's text can
// hold paths or settings that are no business of the client. DECLINED: go on as usual.
int answer_if_group_cannot_start(request_rec* r, const DaemonGroup& group) {
  if (group.slot == nullptr) return DECLINED;
  char cause[WSGID_STARTUP_ERROR_MAX];
  const std::int64_t failed_at = wsgid_startup_failure(group.slot, cause, sizeof cause);
  if (failed_at == 0 || group_state(*group.slot).ready > 0) return DECLINED;
  log_request(r, APLOG_ERR, 0, "WSGID0160",
              "daemon group '%s' cannot start, so %s is answered 503 without waiting: %s "
              "(the traceback is logged once per start; the group retries with back-off, or at "
              "once when its script changes)",
              group.name, r->filename, cause);
  const std::string_view text(cause);
  const std::string code(text.starts_with("WSGID") ? text.substr(0, 9) : "WSGID0160");
  r->status = HTTP_SERVICE_UNAVAILABLE;
  apr_table_setn(r->headers_out, "Retry-After", "1");
  ap_set_content_type(r, "text/plain; charset=utf-8");
  ap_rprintf(r,
             "503 Service Unavailable: the application failed to start (%s); the server's error "
             "log names the cause.\n",
             code.c_str());
  record_request(group.slot, HTTP_SERVICE_UNAVAILABLE, r->request_time,
                 WSGID_GATEWAY_CONNECT_FAILED);
  return OK;
}

// The WSGIHandlerScript in effect for this request's handler, if any.
const HandlerScript* find_handler_script(const DirConfig* dc, const char* handler) {
  if (!dc->handler_scripts) return nullptr;
  const auto* scripts = reinterpret_cast<const HandlerScript*>(dc->handler_scripts->elts);
  for (int i = 0; i < dc->handler_scripts->nelts; ++i) {
    if (std::strcmp(scripts[i].name, handler) == 0) return &scripts[i];
  }
  return nullptr;
}

}  // namespace

int translate_script_alias(request_rec* r) {
  auto* sc =
      static_cast<ServerConfig*>(ap_get_module_config(r->server->module_config, &wsgid_module));
  if (!sc || !r->uri || r->uri[0] != '/') return DECLINED;
  const auto* aliases = reinterpret_cast<const ScriptAlias*>(sc->aliases->elts);
  for (int i = 0; i < sc->aliases->nelts; ++i) {
    const ScriptAlias& a = aliases[i];
    const char* filename = nullptr;
    if (a.regex) {
      ap_regmatch_t m[AP_MAX_REG_MATCH];
      if (ap_regexec(a.regex, r->uri, AP_MAX_REG_MATCH, m, 0) != 0) continue;
      filename = ap_pregsub(r->pool, a.application, r->uri, AP_MAX_REG_MATCH, m);
      if (!filename) continue;
      filename = apr_pstrcat(r->pool, filename, r->uri + m[0].rm_eo, nullptr);
    } else {
      const std::size_t n = prefix_match(r->uri, a.location);
      if (n == kNoMatch) continue;
      filename = apr_pstrcat(r->pool, a.application, r->uri + n, nullptr);
    }
    r->filename = const_cast<char*>(filename);
    r->handler = kHandlerName;
    auto* match = static_cast<Match*>(apr_pcalloc(r->pool, sizeof(Match)));
    match->alias = &a;
    ap_set_module_config(r->request_config, &wsgid_module, match);
    return OK;
  }
  return DECLINED;
}

int handle_wsgi_request(request_rec* r) {
  if (!r->handler) return DECLINED;
  const auto* dc =
      static_cast<const DirConfig*>(ap_get_module_config(r->per_dir_config, &wsgid_module));
  const HandlerScript* handler = nullptr;
  if (std::strcmp(r->handler, kHandlerName) != 0 &&
      std::strcmp(r->handler, "application/x-httpd-wsgi") != 0) {
    handler = find_handler_script(dc, r->handler);
    if (!handler) return DECLINED;
  }
  // A handler script may serve resources that are not files (mod_wsgi passes them on too).
  if (!handler && r->finfo.filetype != APR_REG) {
    log_request(r, APLOG_ERR, 0, "WSGID0101",
                "WSGI script %s does not exist or is not a regular file: check the path in "
                "WSGIScriptAlias",
                r->filename);
    return HTTP_NOT_FOUND;
  }
  const auto* match =
      handler ? nullptr
              : static_cast<const Match*>(ap_get_module_config(r->request_config, &wsgid_module));
  const ScriptAlias* a = match ? match->alias : nullptr;
  auto choose = [](const char* from_alias, const char* from_dir, const char* fallback) {
    return from_alias ? from_alias : from_dir ? from_dir : fallback;
  };
  const char* process_group = choose(handler ? handler->process_group
                                     : a     ? a->process_group
                                             : nullptr,
                                     dc->process_group, "");
  const char* application_group = choose(handler ? handler->application_group
                                         : a     ? a->application_group
                                                 : nullptr,
                                         dc->application_group, nullptr);
  const char* callable =
      handler ? "handle_request"
              : choose(a ? a->callable_object : nullptr, dc->callable_object, "application");
  const int pass_auth_alias = handler ? handler->pass_authorization
                              : a     ? a->pass_authorization
                                      : kUnset;
  const bool pass_authorization =
      pass_auth_alias != kUnset ? pass_auth_alias == 1 : dc->pass_authorization == 1;
  prepare_environ(r, pass_authorization, handler);
  if (dc->dispatch_script) {
    // WSGIDispatchScript may choose another process group, application group or callable.
    DispatchChoice choice;
    if (const int rc = run_dispatch_script(r, *dc->dispatch_script, choice); rc != OK) return rc;
    if (choice.process_group) process_group = choice.process_group;
    if (choice.application_group) application_group = choice.application_group;
    if (choice.callable_object && !handler) callable = choice.callable_object;
  }
  if (std::strcmp(process_group, "%{GLOBAL}") == 0) process_group = "";

  const GlobalConfig& gc = global_config();
  const DaemonGroup* group = nullptr;
  if (!*process_group) {
    if (gc.restrict_embedded == 1) {
      log_request(r, APLOG_ERR, 0, "WSGID0102",
                  "%s would run embedded in an httpd worker, but WSGIRestrictEmbedded is On: "
                  "delegate it to a daemon group with WSGIProcessGroup or process-group=",
                  r->filename);
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    // Embedded mode: this worker's in-process daemon, started on first use.
    group = embedded_group(r);
    if (!group) return HTTP_INTERNAL_SERVER_ERROR;
  } else {
    group = find_group(process_group);
    if (!group || !group_visible_from(*group, r->server)) {
      if (group) {
        log_request(r, APLOG_ERR, 0, "WSGID0104",
                    "daemon process group '%s' is declared in another VirtualHost and cannot "
                    "serve %s: declare the group in this VirtualHost or at server scope",
                    process_group, r->filename);
      } else {
        log_request(r, APLOG_ERR, 0, "WSGID0104",
                    "no daemon process group '%s' is declared for %s: add WSGIDaemonProcess for "
                    "it or fix the group name",
                    process_group, r->filename);
      }
      return HTTP_INTERNAL_SERVER_ERROR;
    }
  }
  if (const int rc = answer_if_group_cannot_start(r, *group); rc != DECLINED) return rc;
  // mod_wsgi answers chunked request bodies with 411 unless WSGIChunkedRequest is On; with it,
  // the body is de-chunked and wsgi.input reads to its end.
  const int chunked = dc->chunked_request == 1 ? REQUEST_CHUNKED_DECHUNK : REQUEST_CHUNKED_ERROR;
  if (const int rc = ap_setup_client_block(r, chunked); rc != OK) return rc;

  const std::string_view head = build_request_head(r, process_group, application_group, callable,
                                                   map_head_to_get(r, dc->map_head_to_get));
  ExchangeOptions options;
  options.error_override = dc->error_override == 1;
  ExchangeResult result;
  const int rc = exchange_with_daemon(r, *group, head, options, result);
  record_request(group->slot, rc == OK ? r->status : rc, r->request_time, result.gateway_error);
  return rc;
}

}  // namespace wsgid
