// The vocabulary of profile schemas: static tables of fields that one generic walker
// (walker.hpp) checks. The wsgid profile's own tables live in profile_schema.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <variant>

namespace wsgid::profile {

// TOML value kinds a field accepts, as a bit set so a field may take several
// ("listen" is a string or an array of strings).
enum Kind : unsigned {
  kString = 1U << 0,
  kInteger = 1U << 1,
  kBoolean = 1U << 2,
  kTable = 1U << 3,
  kArray = 1U << 4,
};

// What a check found wrong with one value.
struct Problem {
  std::string_view code;
  std::string message;  // says what the value is and what is accepted
};

struct CheckContext {
  std::filesystem::path profile_dir;  // relative paths in a profile are relative to it
};

// A check may rewrite the value it was given into canonical form (relative paths become
// absolute), so later stages never repeat the interpretation.
using Check = std::optional<Problem> (*)(toml::node& value, const CheckContext& context);

// An array default (a span of strings) is inserted as a TOML array of those strings.
using Default = std::variant<std::monostate, std::int64_t, bool, std::string_view,
                             std::span<const std::string_view>>;

struct TableSpec;

struct FieldSpec {
  std::string_view key;
  unsigned kinds = 0;
  bool required = false;
  Default fallback{};         // inserted when the key is absent, then checked like a written value
  std::string_view accepted;  // "an integer from 1 to 256": used in type and range errors
  Check check = nullptr;      // for scalar values (and each scalar element of an array)
  const TableSpec* child = nullptr;  // for tables (and each table element of an array)
  unsigned element_kinds = 0;        // for arrays
  std::int64_t min = std::numeric_limits<std::int64_t>::min();  // integers; array length
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::span<const std::string_view> one_of{};  // strings limited to a fixed set
};

// Either a record (fixed keys described by `fields`) or a map (any keys, each checked by
// key_check, values by value_field).
struct TableSpec {
  std::string_view name;  // "site.daemon": how messages refer to the table
  std::span<const FieldSpec> fields{};
  Check key_check = nullptr;
  const FieldSpec* value_field = nullptr;
};

}  // namespace wsgid::profile
