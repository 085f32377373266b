#include "config.hpp"

#include <cstring>
#include <new>

namespace wsgid {
namespace {

GlobalConfig g_config;

template <typename T>
T pick(T add, T base) {
  return add ? add : base;
}

int pick_flag(int add, int base) { return add != kUnset ? add : base; }

}  // namespace

GlobalConfig& global_config() { return g_config; }

void reset_global_config(apr_pool_t* pconf) {
  g_config = GlobalConfig{};
  g_config.pool = pconf;
  g_config.groups = apr_array_make(pconf, 4, sizeof(DaemonGroup*));
  g_config.python_path = apr_array_make(pconf, 2, sizeof(const char*));
  g_config.python_warnings = apr_array_make(pconf, 2, sizeof(const char*));
  g_config.embedded_preloads = apr_array_make(pconf, 2, sizeof(wsgid_preload));
}

DaemonGroup* find_group(const char* name) {
  if (!g_config.groups) return nullptr;
  auto** groups = reinterpret_cast<DaemonGroup**>(g_config.groups->elts);
  for (int i = 0; i < g_config.groups->nelts; ++i) {
    if (std::strcmp(groups[i]->name, name) == 0) return groups[i];
  }
  return nullptr;
}

bool group_visible_from(const DaemonGroup& g, const server_rec* s) {
  if (g.server == s || !g.server->is_virtual) return true;
  // As mod_wsgi: a VirtualHost with the same ServerName (the HTTPS twin of an HTTP one) may
  // use the group too.
  const char* declared = g.server->server_hostname;
  return declared != nullptr && s->server_hostname != nullptr &&
         std::strcmp(declared, s->server_hostname) == 0;
}

void* create_server_config(apr_pool_t* p, server_rec* /*s*/) {
  auto* c = static_cast<ServerConfig*>(apr_pcalloc(p, sizeof(ServerConfig)));
  new (c) ServerConfig{};
  c->aliases = apr_array_make(p, 2, sizeof(ScriptAlias));
  return c;
}

// Per mod_alias: a VirtualHost's aliases are tried first, then the main server's.
void* merge_server_config(apr_pool_t* p, void* base_v, void* add_v) {
  auto* base = static_cast<ServerConfig*>(base_v);
  auto* add = static_cast<ServerConfig*>(add_v);
  auto* c = static_cast<ServerConfig*>(apr_pcalloc(p, sizeof(ServerConfig)));
  new (c) ServerConfig{};
  c->aliases = apr_array_append(p, add->aliases, base->aliases);
  return c;
}

void* create_dir_config(apr_pool_t* p, char* /*dir*/) {
  auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
  new (c) DirConfig{};
  return c;
}

void* merge_dir_config(apr_pool_t* p, void* base_v, void* add_v) {
  auto* base = static_cast<DirConfig*>(base_v);
  auto* add = static_cast<DirConfig*>(add_v);
  auto* c = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
  new (c) DirConfig{};
  c->process_group = pick(add->process_group, base->process_group);
  c->application_group = pick(add->application_group, base->application_group);
  c->callable_object = pick(add->callable_object, base->callable_object);
  c->pass_authorization = pick_flag(add->pass_authorization, base->pass_authorization);
  c->chunked_request = pick_flag(add->chunked_request, base->chunked_request);
  c->error_override = pick_flag(add->error_override, base->error_override);
  c->script_reloading = pick_flag(add->script_reloading, base->script_reloading);
  // The inner section's handler scripts come first, so they win over outer ones of that name.
  if (add->handler_scripts && base->handler_scripts) {
    c->handler_scripts = apr_array_append(p, add->handler_scripts, base->handler_scripts);
  } else {
    c->handler_scripts = add->handler_scripts ? add->handler_scripts : base->handler_scripts;
  }
  c->access_script = pick(add->access_script, base->access_script);
  c->auth_user_script = pick(add->auth_user_script, base->auth_user_script);
  c->auth_group_script = pick(add->auth_group_script, base->auth_group_script);
  c->dispatch_script = pick(add->dispatch_script, base->dispatch_script);
  c->map_head_to_get =
      add->map_head_to_get != MapHeadToGet::kUnset ? add->map_head_to_get : base->map_head_to_get;
  return c;
}

}  // namespace wsgid
