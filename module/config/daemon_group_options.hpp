// WSGIDaemonProcess's name=value options applied to a group's config, by the table in
// contract/daemon_options.hpp: one rule per kind of value, not one per option.
#pragma once

#include <apr_pools.h>

#include "config.hpp"

namespace wsgid {

// A coded problem with an option; code is nullptr when there is none.
struct OptionProblem {
  const char* code = nullptr;     // WSGIDnnnn (docs/errors.md)
  const char* message = nullptr;  // names the option, the bad value and what is accepted

  explicit operator bool() const { return code != nullptr; }
};

// Applies one option to `g`. The caller prefixes where it was read (the directive, or a file).
// Strings are kept, not copied: `value` must live as long as `p`.
OptionProblem apply_daemon_option(apr_pool_t* p, DaemonGroup& g, const char* name,
                                  const char* value);

}  // namespace wsgid
