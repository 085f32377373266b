#include "python_hooks.hpp"

#include <apr_buckets.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <http_config.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>
#include <util_script.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon_exchange.hpp"
#include "embedded_daemon.hpp"
#include "hook_protocol.hpp"
#include "log.hpp"
#include "request_handler.hpp"
#include "wire_protocol.hpp"

namespace wsgid {
namespace {

using Args = std::initializer_list<std::pair<std::string_view, std::string_view>>;

const DirConfig* dir_config(const request_rec* r) {
  return static_cast<const DirConfig*>(ap_get_module_config(r->per_dir_config, &wsgid_module));
}

// The hook's answer: the status and headers of the response head the Python side sent. A
// hook answers with a head and an end only; body bytes are not part of an answer and are
// dropped.
class Answer final : public ResponseSink {
 public:
  Answer() = default;

  const char* get(request_rec* r, std::string_view name) const {
    for (const auto& [k, v] : values_) {
      if (k == name) return apr_pstrmemdup(r->pool, v.data(), v.size());
    }
    return nullptr;
  }
  unsigned status() const { return status_; }
  const std::vector<std::pair<std::string, std::string>>& values() const { return values_; }

  bool head_seen() const override { return status_ != 0; }
  bool started() const override { return false; }  // nothing of it reaches the client
  bool client_gone() const override { return false; }
  bool apply_head(std::string_view payload) override {
    wire::ResponseHeadView head;
    if (!wire::parse_response_head(payload, head) || head.status == 0) return false;
    status_ = head.status;
    for (const auto& [k, v] : head.headers) values_.emplace_back(k, v);
    return true;
  }
  int add_body(std::string_view) override { return OK; }
  int add_block(char* block, std::size_t) override {
    apr_bucket_free(block);
    return OK;
  }
  bool add_file(int fd, std::uint64_t, std::uint64_t) override {
    close(fd);
    return true;
  }
  int end() override { return OK; }
  int pass_batch() override { return OK; }
  int flush() override { return OK; }
  void broken() override {}

 private:
  unsigned status_ = 0;
  std::vector<std::pair<std::string, std::string>> values_;
};

// One hook call: its environ and arguments go to the worker's in-process daemon (or, with
// process-group=, to that group's daemons) as a request head through the one exchange
// (daemon_exchange.cpp, pooled connections included); the answer comes back as a response
// head. Synchronous, bounded by the group's socket-timeout (else httpd's Timeout).
class HookCall {
 public:
  HookCall(request_rec* r, const char* directive, const HookScript& h)
      : r_(r), directive_(directive), h_(h) {}

  // True with `answer` filled in; false after logging why (the caller answers 500). Never
  // throws: httpd calls the hooks from C.
  bool run(std::string_view kind, apr_table_t* env, Args args, Answer& answer) noexcept {
    try {
      return call(kind, env, args, answer);
    } catch (const std::exception& e) {
      return failed(e.what());
    }
  }

 private:
  bool call(std::string_view kind, apr_table_t* env, Args args, Answer& answer) {
    const DaemonGroup* group = nullptr;
    if (h_.process_group) {
      // Checked when the directive was read; the worker's copy has the socket and secret.
      group = find_group(h_.process_group);
      if (!group || !group->socket_path || !group->credential) {
        return failed("its daemon process group has no socket in this worker");
      }
    } else {
      group = embedded_group(r_);
      if (!group) return failed("embedded Python is not available in this worker (see above)");
    }
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    const apr_array_header_t* arr = apr_table_elts(env);
    const auto* elts = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    pairs.reserve(static_cast<std::size_t>(arr->nelts) + args.size() + 3);
    for (int i = 0; i < arr->nelts; ++i) {
      if (!elts[i].key) continue;
      // Reserved for the hook call itself: nothing from the request may pose as it.
      if (std::string_view(elts[i].key).starts_with(hook::kPrefix)) continue;
      pairs.emplace_back(elts[i].key, elts[i].val ? elts[i].val : "");
    }
    pairs.emplace_back(hook::kKind, kind);
    pairs.emplace_back(hook::kScript, h_.script);
    pairs.emplace_back(hook::kDirective, directive_);
    for (const auto& a : args) pairs.push_back(a);
    std::string head;
    wire::append_pairs(head, pairs);
    // The exchange keeps the head until it is answered (for a resend): the request pool's copy.
    const char* payload = static_cast<const char*>(apr_pmemdup(r_->pool, head.data(), head.size()));
    ExchangeResult result;
    if (call_daemon(r_, *group, {payload, head.size()}, answer, result) != OK) {
      return failed("the exchange failed (the line before this one says why)");
    }
    if (answer.status() == 200) return true;
    log_request(r_, APLOG_ERR, 0, "WSGID0134",
                "%s %s failed for %s (the WSGID05xx line before this one says why): the "
                "request fails with 500",
                directive_, h_.script, r_->uri);
    return false;
  }

  bool failed(const char* why) {
    log_request(r_, APLOG_ERR, 0, "WSGID0130",
                "%s %s could not be run for %s: %s; the request fails with 500", directive_,
                h_.script, r_->uri, why);
    return false;
  }

  request_rec* r_;
  const char* directive_;
  const HookScript& h_;
};

// "Content-Type" -> "HTTP_CONTENT_TYPE"; nullptr for names with characters other than
// letters, digits and '-', which httpd's own CGI variables drop too (so "X_User" cannot pose as
// "X-User").
const char* header_variable(apr_pool_t* p, const char* name) {
  const std::size_t n = std::strlen(name);
  char* out = static_cast<char*>(apr_palloc(p, n + 6));
  std::memcpy(out, "HTTP_", 5);
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (apr_isalnum(c)) {
      out[5 + i] = static_cast<char>(apr_toupper(c));
    } else if (c == '-') {
      out[5 + i] = '_';
    } else {
      return nullptr;
    }
  }
  out[5 + n] = '\0';
  return out;
}

// The request URI as the client sent it (REQUEST_URI), from the request line.
const char* original_uri(request_rec* r) {
  if (!r->the_request) return "";
  const char* first = r->the_request;
  while (*first && !apr_isspace(*first)) ++first;
  while (apr_isspace(*first)) ++first;
  const char* last = first;
  while (*last && !apr_isspace(*last)) ++last;
  return apr_pstrmemdup(r->pool, first, static_cast<apr_size_t>(last - first));
}

// What mod_wsgi gives access and auth hooks: the request headers (never Authorization or
// Proxy-Authorization), the server and client, the request line; not SetEnv variables, which
// an .htaccess could use to steer the check. The hook's interpreter goes in as
// mod_wsgi.application_group, which also tells the Python side where to run it.
apr_table_t* auth_environ(request_rec* r, const HookScript& h) {
  apr_table_t* env = apr_table_make(r->pool, 40);
  const apr_array_header_t* arr = apr_table_elts(r->headers_in);
  const auto* elts = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
  for (int i = 0; i < arr->nelts; ++i) {
    const char* key = elts[i].key;
    if (!key || !elts[i].val) continue;
    if (!strcasecmp(key, "Authorization") || !strcasecmp(key, "Proxy-Authorization")) continue;
    if (!strcasecmp(key, "Content-Type")) {
      apr_table_setn(env, "CONTENT_TYPE", elts[i].val);
    } else if (!strcasecmp(key, "Content-Length")) {
      apr_table_setn(env, "CONTENT_LENGTH", elts[i].val);
    } else if (const char* var = header_variable(r->pool, key)) {
      // Repeated headers are joined, as httpd does for the CGI environment.
      apr_table_mergen(env, var, elts[i].val);
    }
  }
  conn_rec* c = r->connection;
  apr_table_setn(env, "SERVER_SIGNATURE", ap_psignature("", r));
  apr_table_setn(env, "SERVER_SOFTWARE", ap_get_server_banner());
  apr_table_setn(env, "SERVER_NAME", ap_escape_html(r->pool, ap_get_server_name(r)));
  if (c->local_ip) apr_table_setn(env, "SERVER_ADDR", c->local_ip);
  apr_table_setn(env, "SERVER_PORT", apr_psprintf(r->pool, "%u", ap_get_server_port(r)));
  if (const char* host = ap_get_remote_host(c, r->per_dir_config, REMOTE_HOST, nullptr)) {
    apr_table_setn(env, "REMOTE_HOST", host);
  }
  if (r->useragent_ip) apr_table_setn(env, "REMOTE_ADDR", r->useragent_ip);
  apr_table_setn(env, "DOCUMENT_ROOT", ap_document_root(r));
  if (r->server->server_admin) apr_table_setn(env, "SERVER_ADMIN", r->server->server_admin);
  apr_table_setn(env, "REMOTE_PORT", apr_itoa(r->pool, c->client_addr->port));
  apr_table_setn(env, "SERVER_PROTOCOL", r->protocol);
  apr_table_setn(env, "REQUEST_METHOD", r->method);
  apr_table_setn(env, "QUERY_STRING", r->args ? r->args : "");
  apr_table_setn(env, "REQUEST_URI", original_uri(r));
  if (r->path_info && *r->path_info) {
    const int split = ap_find_path_info(r->uri, r->path_info);
    apr_table_setn(env, "SCRIPT_NAME", apr_pstrndup(r->pool, r->uri, split));
    apr_table_setn(env, "PATH_INFO", r->path_info);
  } else {
    apr_table_setn(env, "SCRIPT_NAME", r->uri);
    apr_table_setn(env, "PATH_INFO", "");
  }
  if (std::strcmp(ap_http_scheme(r), "https") == 0) apr_table_setn(env, "HTTPS", "1");
  if (r->user) apr_table_setn(env, "REMOTE_USER", r->user);
  if (r->ap_auth_type) apr_table_setn(env, "AUTH_TYPE", r->ap_auth_type);
  apr_table_setn(env, "mod_wsgi.process_group", h.process_group ? h.process_group : "");
  apr_table_setn(
      env, "mod_wsgi.application_group",
      expand_application_group(r, h.application_group ? h.application_group : "%{GLOBAL}"));
  apr_table_setn(env, "mod_wsgi.script_reloading",
                 dir_config(r)->script_reloading == 0 ? "0" : "1");
  if (const char* id = apr_table_get(r->subprocess_env, "WSGID_REQUEST_ID")) {
    apr_table_setn(env, "mod_wsgi.request_id", id);
  }
  return env;
}

void missing_script(request_rec* r, const char* use, const char* directive) {
  log_request(r, APLOG_ERR, 0, "WSGID0131",
              "%s is used for %s but no %s applies there: add %s FILE to the same "
              "<Location>/<Directory> (or .htaccess); the request fails with 500",
              use, r->uri, directive, directive);
}

authn_status check_password(request_rec* r, const char* user, const char* password) {
  const HookScript* h = dir_config(r)->auth_user_script;
  if (!h) {
    missing_script(r, "AuthBasicProvider wsgi", "WSGIAuthUserScript");
    return AUTH_GENERAL_ERROR;
  }
  Answer answer;
  if (!HookCall(r, "WSGIAuthUserScript", *h)
           .run(hook::kCheckPassword, auth_environ(r, *h),
                {{hook::kUser, user}, {hook::kPassword, password}}, answer)) {
    return AUTH_GENERAL_ERROR;
  }
  const char* result = answer.get(r, hook::kResult);
  if (!result) return AUTH_GENERAL_ERROR;
  if (std::strcmp(result, "granted") == 0) {
    // check_password() may answer a canonical user name instead of True.
    if (const char* name = answer.get(r, hook::kResultUser)) r->user = const_cast<char*>(name);
    return AUTH_GRANTED;
  }
  return std::strcmp(result, "denied") == 0 ? AUTH_DENIED : AUTH_USER_NOT_FOUND;
}

authn_status get_realm_hash(request_rec* r, const char* user, const char* realm, char** rethash) {
  const HookScript* h = dir_config(r)->auth_user_script;
  if (!h) {
    missing_script(r, "AuthDigestProvider wsgi", "WSGIAuthUserScript");
    return AUTH_GENERAL_ERROR;
  }
  Answer answer;
  if (!HookCall(r, "WSGIAuthUserScript", *h)
           .run(hook::kGetRealmHash, auth_environ(r, *h),
                {{hook::kUser, user}, {hook::kRealm, realm}}, answer)) {
    return AUTH_GENERAL_ERROR;
  }
  const char* result = answer.get(r, hook::kResult);
  if (!result) return AUTH_GENERAL_ERROR;
  if (std::strcmp(result, "found") != 0) return AUTH_USER_NOT_FOUND;
  const char* hash = answer.get(r, hook::kResultHash);
  if (!hash) return AUTH_GENERAL_ERROR;
  *rethash = const_cast<char*>(hash);
  return AUTH_USER_FOUND;
}

// Require wsgi-group NAME...: granted when groups_for_user() lists one of the names.
authz_status check_group(request_rec* r, const char* require_args, const void*) {
  if (!r->user) return AUTHZ_DENIED_NO_USER;
  const HookScript* h = dir_config(r)->auth_group_script;
  if (!h) {
    missing_script(r, "Require wsgi-group", "WSGIAuthGroupScript");
    return AUTHZ_GENERAL_ERROR;
  }
  Answer answer;
  if (!HookCall(r, "WSGIAuthGroupScript", *h)
           .run(hook::kGroupsForUser, auth_environ(r, *h), {{hook::kUser, r->user}}, answer)) {
    return AUTHZ_GENERAL_ERROR;
  }
  const char* t = require_args;
  while (const char* w = ap_getword_conf(r->pool, &t)) {
    if (!*w) break;
    for (const auto& [k, v] : answer.values()) {
      if (k == hook::kResultGroup && v == w) return AUTHZ_GRANTED;
    }
  }
  log_request(r, APLOG_ERR, 0, "WSGID0133",
              "user '%s' is in none of the groups '%s' that Require wsgi-group asks for %s "
              "(WSGIAuthGroupScript %s)",
              r->user, require_args, r->uri, h->script);
  return AUTHZ_DENIED;
}

const authn_provider kAuthnProvider = {&check_password, &get_realm_hash};
const authz_provider kAuthzProvider = {&check_group, nullptr};

}  // namespace

void register_hook_providers(apr_pool_t* p) {
  ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "wsgi", AUTHN_PROVIDER_VERSION,
                            &kAuthnProvider, AP_AUTH_INTERNAL_PER_CONF);
  ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "wsgi-group", AUTHZ_PROVIDER_VERSION,
                            &kAuthzProvider, AP_AUTH_INTERNAL_PER_CONF);
}

int check_access_script(request_rec* r) {
  const HookScript* h = dir_config(r)->access_script;
  if (!h) return DECLINED;
  const char* host = ap_get_remote_host(r->connection, r->per_dir_config, REMOTE_HOST, nullptr);
  if (!host) host = r->useragent_ip;
  Answer answer;
  if (!HookCall(r, "WSGIAccessScript", *h)
           .run(hook::kAllowAccess, auth_environ(r, *h), {{hook::kHost, host ? host : ""}},
                answer)) {
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  const char* result = answer.get(r, hook::kResult);
  if (!result) return HTTP_INTERNAL_SERVER_ERROR;
  if (std::strcmp(result, "allow") == 0) return OK;
  if (std::strcmp(result, "none") == 0) return DECLINED;
  log_request(r, APLOG_ERR, 0, "WSGID0132",
              "client denied by WSGIAccessScript %s: allow_access() returned False for %s",
              h->script, r->uri);
  return HTTP_FORBIDDEN;
}

int run_dispatch_script(request_rec* r, const HookScript& h, DispatchChoice& choice) {
  // The WSGI request's own environ, seen from where the dispatch script runs.
  apr_table_t* env = apr_table_copy(r->pool, r->subprocess_env);
  apr_table_setn(env, "mod_wsgi.process_group", "");
  apr_table_setn(
      env, "mod_wsgi.application_group",
      expand_application_group(r, h.application_group ? h.application_group : "%{GLOBAL}"));
  apr_table_unset(env, "mod_wsgi.callable_object");
  Answer answer;
  if (!HookCall(r, "WSGIDispatchScript", h).run(hook::kDispatch, env, {}, answer)) {
    return HTTP_INTERNAL_SERVER_ERROR;
  }
  choice.process_group = answer.get(r, hook::kProcessGroup);
  choice.application_group = answer.get(r, hook::kApplicationGroup);
  choice.callable_object = answer.get(r, hook::kCallableObject);
  return OK;
}

}  // namespace wsgid
