// The module record: directive table and hook registration, nothing else.
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mpm_common.h>
#include <sys/prctl.h>

#include "config/config.hpp"
#include "parent/daemon_lifecycle.hpp"
#include "config/directives.hpp"
#include "worker/embedded_daemon.hpp"
#include "worker/health_handlers.hpp"
#include "worker/misdirected_handler.hpp"
#include "parent/parent_python.hpp"
#include "worker/python_hooks.hpp"
#include "worker/request_id.hpp"
#include "worker/trace_context.hpp"
#include "worker/request_handler.hpp"

namespace {

int pre_config(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* /*ptemp*/) {
  wsgid::reset_global_config(pconf);
  return OK;
}

int post_config(apr_pool_t* pconf, apr_pool_t* /*plog*/, apr_pool_t* ptemp, server_rec* s) {
  // Python first: under WSGILazyInitialization Off the daemons forked next inherit it.
  if (const int rc = wsgid::start_parent_python(s); rc != OK) return rc;
  wsgid::warn_about_unused_embedded_preloads(s);
  return wsgid::start_daemon_groups(pconf, ptemp, s);
}

void child_init(apr_pool_t* pchild, server_rec* s) {
  // Workers hold every daemon group's connection secret. Not dumpable, their /proc entries
  // (mem, environ, fd/) belong to root, so a process of the same uid — another site's app or a
  // cron job when httpd runs non-root with one uid for everything — cannot read them. httpd
  // started as root gets this from setuid() already; CoreDumpDirectory asks for the opposite.
  if (!ap_coredumpdir_configured) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  wsgid::close_daemon_sockets_in_worker();
  wsgid::embedded_child_init(pchild, s);
}

int monitor(apr_pool_t*, server_rec*) {
  wsgid::kill_overdue_daemons();
  wsgid::replace_draining_daemons();
  return DECLINED;
}

void register_hooks(apr_pool_t* p) {
  // After mod_alias, as mod_wsgi: an Alias (static files) wins over a WSGIScriptAlias of "/".
  static const char* const after_alias[] = {"mod_alias.c", nullptr};
  ap_hook_pre_config(pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_post_config(post_config, nullptr, nullptr, APR_HOOK_LAST);
  ap_hook_child_init(child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_monitor(monitor, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_translate_name(wsgid::translate_script_alias, after_alias, nullptr, APR_HOOK_MIDDLE);
  ap_hook_handler(wsgid::handle_wsgi_request, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_handler(wsgid::handle_health_request, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_handler(wsgid::handle_misdirected_request, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_post_read_request(wsgid::assign_request_id, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
  ap_hook_post_read_request(wsgid::assign_trace_context, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
  // WSGIAccessScript, WSGIAuthUserScript, WSGIAuthGroupScript: where mod_wsgi puts them.
  static const char* const after_ssl[] = {"mod_ssl.c", nullptr};
  static const char* const before_authz_host[] = {"mod_authz_host.c", nullptr};
  ap_hook_check_access(wsgid::check_access_script, after_ssl, before_authz_host, APR_HOOK_MIDDLE,
                       AP_AUTH_INTERNAL_PER_CONF);
  wsgid::register_hook_providers(p);
}

}  // namespace

module AP_MODULE_DECLARE_DATA wsgid_module = {STANDARD20_MODULE_STUFF,
                                              wsgid::create_dir_config,
                                              wsgid::merge_dir_config,
                                              wsgid::create_server_config,
                                              wsgid::merge_server_config,
                                              wsgid::kDirectives,
                                              register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
                                              AP_MODULE_FLAG_NONE
#endif
};
