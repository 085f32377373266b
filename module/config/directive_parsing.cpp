#include "directive_parsing.hpp"

#include <apr_strings.h>

#include <cstdarg>

#include "did_you_mean.hpp"

namespace wsgid {

const char* fail(cmd_parms* cmd, const char* code, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char* msg = apr_pvsprintf(cmd->pool, fmt, ap);
  va_end(ap);
  return apr_psprintf(cmd->pool, "%s %s: %s", code, cmd->cmd->name, msg);
}

const char* unknown_option_message(apr_pool_t* p, const char* name, const char* valid) {
  if (const auto near = nearest_in_list(name, valid)) {
    return apr_psprintf(p, "option '%s' is not known (did you mean '%.*s'?); valid options are: %s",
                        name, static_cast<int>(near->size()), near->data(), valid);
  }
  return apr_psprintf(p, "option '%s' is not known; valid options are: %s", name, valid);
}

const char* parse_on_off(cmd_parms* cmd, const char* option, const char* value, int& out) {
  if (!strcasecmp(value, "On")) {
    out = 1;
  } else if (!strcasecmp(value, "Off")) {
    out = 0;
  } else {
    return fail(cmd, "WSGID0002", "option %s=%s is not valid: expected On or Off", option, value);
  }
  return nullptr;
}

const char* where(cmd_parms* cmd) {
  return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
}

bool split_option(apr_pool_t* p, const char* word, const char*& name, const char*& value) {
  const char* eq = std::strchr(word, '=');
  if (!eq || eq == word) return false;
  name = apr_pstrndup(p, word, eq - word);
  value = eq + 1;
  return true;
}

apr_array_header_t* split_colon_list(apr_pool_t* p, const char* value) {
  apr_array_header_t* parts = apr_array_make(p, 2, sizeof(const char*));
  char* rest = apr_pstrdup(p, value);
  char* state = nullptr;
  for (char* part = apr_strtok(rest, ":", &state); part; part = apr_strtok(nullptr, ":", &state)) {
    *static_cast<const char**>(apr_array_push(parts)) = part;
  }
  return parts;
}

const char* join_names(apr_pool_t* p, const std::string_view* names, std::size_t count) {
  const char* joined = "";
  for (std::size_t i = 0; i < count; ++i) {
    joined = apr_psprintf(p, "%s%s%.*s", joined, i ? ", " : "", static_cast<int>(names[i].size()),
                          names[i].data());
  }
  return joined;
}

}  // namespace wsgid
