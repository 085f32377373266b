// What every directive handler shares: coded error messages and the one loop over a directive's
// trailing name=value words.
#pragma once

#include <httpd.h>
#include <http_config.h>

#include <array>
#include <cstring>
#include <string_view>
#include <variant>

namespace wsgid {

// Every message a user can cause carries a stable code (docs/errors.md) and names the directive,
// the option, the bad value and what is accepted. httpd prefixes the file and line.
const char* fail(cmd_parms* cmd, const char* code, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// "option 'NAME' is not known (did you mean …?); valid options are: VALID", without a code.
const char* unknown_option_message(apr_pool_t* p, const char* name, const char* valid);

// On or Off, in any case, into 1 or 0 (WSGID0002 otherwise).
const char* parse_on_off(cmd_parms* cmd, const char* option, const char* value, int& out);

// "file:line" of the directive being read.
const char* where(cmd_parms* cmd);

// Splits "name=value"; the value may have been quoted (ap_getword_conf removed the quotes).
bool split_option(apr_pool_t* p, const char* word, const char*& name, const char*& value);

// "a:b:c" as a list of "a", "b", "c" (const char*), empty entries dropped (python-path=,
// WSGIPythonPath, sandbox-read=).
apr_array_header_t* split_colon_list(apr_pool_t* p, const char* value);

// Calls `apply(name, value)` for each name=value word left in `args`, stopping at the first error
// it returns. A word without '=' is WSGID0001, listing `valid`.
template <typename Apply>
const char* each_option(cmd_parms* cmd, const char* args, const char* valid, Apply&& apply) {
  while (*args) {
    const char* word = ap_getword_conf(cmd->pool, &args);
    if (!*word) break;
    const char* name = nullptr;
    const char* value = nullptr;
    if (!split_option(cmd->pool, word, name, value)) {
      return fail(cmd, "WSGID0001", "'%s' is not an option=value pair; valid options are: %s", word,
                  valid);
    }
    if (const char* err = apply(name, value)) return err;
  }
  return nullptr;
}

// One option of the script directives' short lists: a string member, or an On|Off one.
template <typename Target>
struct WordOption {
  std::string_view name;
  std::variant<const char * Target::*, int Target::*> member;
};

const char* join_names(apr_pool_t* p, const std::string_view* names, std::size_t count);

// Reads the name=value words left in `args` into `target`, by `options`.
template <typename Target, std::size_t N>
const char* parse_word_options(cmd_parms* cmd, const char* args,
                               const std::array<WordOption<Target>, N>& options, Target& target) {
  std::array<std::string_view, N> names;
  for (std::size_t i = 0; i < N; ++i) names[i] = options[i].name;
  const char* valid = join_names(cmd->pool, names.data(), N);
  return each_option(cmd, args, valid, [&](const char* name, const char* value) -> const char* {
    for (const WordOption<Target>& o : options) {
      if (o.name != name) continue;
      if (const auto* text = std::get_if<const char * Target::*>(&o.member)) {
        target.*(*text) = value;
        return nullptr;
      }
      return parse_on_off(cmd, name, value, target.*std::get<int Target::*>(o.member));
    }
    return fail(cmd, "WSGID0001", "%s", unknown_option_message(cmd->pool, name, valid));
  });
}

}  // namespace wsgid
