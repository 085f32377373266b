// A site's [sandbox] table read as the seccomp policy it states (sandbox::Policy): the one
// reading, used by the cross checks (to validate names with file:line:col, before the model
// exists) and by build_model (to fill the model once the profile is valid).
#pragma once

#include <toml++/toml.h>

#include "sandbox/policy.hpp"

namespace wsgid::profile {

// Tolerates what the walker reports on its own: a list element that is not a string reads as
// "" (so an element's index is still its index in the profile), an unknown action as the
// default, a missing `seccomp` as "".
sandbox::Policy read_seccomp_policy(const toml::table& sandbox_table);

}  // namespace wsgid::profile
