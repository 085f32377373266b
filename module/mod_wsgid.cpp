// The module record: directive table and hook registration, nothing else.
#include <httpd.h>
#include <http_config.h>

extern "C" {
extern module AP_MODULE_DECLARE_DATA wsgid_module;
}

namespace {
void register_hooks(apr_pool_t* /*p*/) {}
}  // namespace

module AP_MODULE_DECLARE_DATA wsgid_module = {
    STANDARD20_MODULE_STUFF, nullptr, nullptr, nullptr, nullptr, nullptr, register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE
#endif
};
