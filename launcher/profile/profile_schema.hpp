// The wsgid profile schema as static data (documented key by key in docs/profile-reference.md).
#pragma once

#include "schema.hpp"

namespace wsgid::profile {

const TableSpec& profile_schema();

}  // namespace wsgid::profile
