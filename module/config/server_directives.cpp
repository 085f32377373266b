// Server-scope settings (GlobalConfig): anywhere else is an error `apache2 -t` reports.
#include <httpd.h>
#include <http_config.h>
#include <apr_strings.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config.hpp"
#include "directive_handlers.hpp"
#include "directive_parsing.hpp"

namespace wsgid {
namespace {

template <typename T>
T& global_slot(cmd_parms* cmd) {
  const auto offset = reinterpret_cast<std::uintptr_t>(cmd->info);
  return *reinterpret_cast<T*>(reinterpret_cast<char*>(&global_config()) + offset);
}

// Python's -W syntax, action:message:category:module:lineno. The action and line number are
// checked here; the category can only be resolved by Python, which warns about a bad one at
// start-up in the daemon's log.
bool valid_warn_option(const char* value) {
  std::string_view rest(value);
  std::string_view fields[5];
  std::size_t count = 0;
  for (;;) {
    const std::size_t colon = rest.find(':');
    if (count == 5) return false;
    fields[count++] = rest.substr(0, colon);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  };
  const std::string_view action = trim(fields[0]);
  bool known = false;
  // Python accepts any prefix of an action's name ("i" is ignore), as its -W option does.
  for (std::string_view a : {"default", "always", "ignore", "module", "once", "error"}) {
    known = known || (!action.empty() && a.substr(0, action.size()) == action);
  }
  if (!known) return false;
  if (count == 5) {
    const std::string_view line = trim(fields[4]);
    for (char c : line) {
      if (c < '0' || c > '9') return false;
    }
  }
  return true;
}

}  // namespace

const char* set_global_flag_slot(cmd_parms* cmd, void*, int on) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  global_slot<int>(cmd) = on ? 1 : 0;
  return nullptr;
}

const char* set_global_string_slot(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  global_slot<const char*>(cmd) = value;
  return nullptr;
}

const char* cmd_socket_prefix(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  global_config().socket_prefix = ap_runtime_dir_relative(cmd->pool, value);
  return nullptr;
}

const char* cmd_python_path(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  apr_array_cat(global_config().python_path, split_colon_list(cmd->pool, value));
  return nullptr;
}

const char* cmd_python_warnings(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  if (!valid_warn_option(value)) {
    return fail(cmd, "WSGID0021",
                "'%s' is not a warning filter: expected Python's -W syntax "
                "action[:message[:category[:module[:lineno]]]] with action one of default, "
                "always, ignore, module, once, error (e.g. ignore::DeprecationWarning)",
                value);
  }
  *static_cast<const char**>(apr_array_push(global_config().python_warnings)) = value;
  return nullptr;
}

const char* cmd_python_optimize(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || v < 0 || v > 2) {
    return fail(cmd, "WSGID0002",
                "'%s' is not valid: expected 0 (keep asserts), 1 (like python -O) or 2 (-OO, "
                "also drops docstrings)",
                value);
  }
  global_config().python_optimize = static_cast<int>(v);
  return nullptr;
}

const char* cmd_python_hash_seed(cmd_parms* cmd, void*, const char* value) {
  if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
  GlobalConfig& gc = global_config();
  if (!strcasecmp(value, "random")) {
    gc.use_hash_seed = 0;
    gc.hash_seed = 0;
    return nullptr;
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(value, &end, 10);
  if (*value < '0' || *value > '9' || *end != '\0' || errno == ERANGE || v > 4294967295ULL) {
    return fail(cmd, "WSGID0002",
                "'%s' is not valid: expected random or a seed from 0 to 4294967295 (as "
                "PYTHONHASHSEED)",
                value);
  }
  gc.use_hash_seed = 1;
  gc.hash_seed = static_cast<unsigned long>(v);
  return nullptr;
}

}  // namespace wsgid
