#include "walker.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "codes.hpp"
#include "display_text.hpp"
#include "did_you_mean.hpp"

namespace wsgid::profile {
namespace {

std::string_view kind_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "nothing";
  }
}

unsigned kind_of(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return kString;
    case toml::node_type::integer:
      return kInteger;
    case toml::node_type::boolean:
      return kBoolean;
    case toml::node_type::table:
      return kTable;
    case toml::node_type::array:
      return kArray;
    default:
      return 0;
  }
}

bool is_bare_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Control characters are refused everywhere: they have no safe rendering in an httpd config
// line and are never what the author meant.
bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string too_long(const std::string& shown, std::string_view text) {
  return shown + " is " + std::to_string(text.size()) + " bytes long; at most " +
         std::to_string(kMaxStringBytes) + " are accepted: shorten it";
}

// "site[1].daemon" -> "site.daemon": tables are named by their shape, not their index.
std::string table_display_name(const std::string& path) {
  std::string out;
  bool in_index = false;
  for (const char c : path) {
    if (c == '[') in_index = true;
    if (!in_index) out += c;
    if (c == ']') in_index = false;
  }
  return out;
}

class Walker {
 public:
  Walker(const WalkInput& input, std::vector<Diagnostic>& out) : input_(input), out_(out) {}

  void table(toml::table& table, const TableSpec& spec, const std::string& path) {
    const toml::node* const outer = enclosing_;
    enclosing_ = &table;
    record_or_map(table, spec, path);
    enclosing_ = outer;
  }

 private:
  void record_or_map(toml::table& table, const TableSpec& spec, const std::string& path) {
    if (spec.value_field != nullptr) {
      map(table, spec, path);
      return;
    }
    for (auto&& [key, node] : table) {
      // Named, not captured: clang 14 (which builds the fuzzer) cannot capture a binding.
      const std::string_view name = key.str();
      const auto found = std::find_if(spec.fields.begin(), spec.fields.end(),
                                      [name](const FieldSpec& f) { return f.key == name; });
      if (found == spec.fields.end()) unknown_key(key, node, spec, path);
    }
    for (const FieldSpec& field : spec.fields) {
      const std::string field_path = join_key_path(path, field.key);
      toml::node* node = table.get(field.key);
      if (node == nullptr) {
        if (field.required) {
          report(table, code::kMissingKey, field_path,
                 "missing required key \"" + std::string(field.key) + "\"; expected " +
                     std::string(field.accepted));
          continue;
        }
        // An absent sub-table still gets its own defaults, so later stages see one shape.
        if (field.child != nullptr && (field.kinds & kTable) != 0) {
          table.insert(field.key, toml::table{});
        } else if (!insert_default(table, field)) {
          continue;
        }
        node = table.get(field.key);
      }
      value(*node, field, field_path);
    }
  }

  void map(toml::table& table, const TableSpec& spec, const std::string& path) {
    for (auto&& [key, node] : table) {
      const std::string entry_path = join_key_path(path, key.str());
      if (key.str().size() > kMaxStringBytes) {
        report(node, code::kTooLong, entry_path, too_long("key " + quote(key.str()), key.str()));
        continue;
      }
      if (has_control_character(key.str())) {
        report(node, code::kControlCharacter, entry_path,
               "key " + quote(key.str()) + " contains a control character; remove it");
        continue;
      }
      if (spec.key_check != nullptr) {
        toml::value<std::string> key_value{std::string(key.str())};
        if (auto problem = spec.key_check(key_value, input_.context)) {
          report(node, problem->code, entry_path, problem->message);
          continue;
        }
      }
      value(node, *spec.value_field, entry_path);
    }
  }

  void value(toml::node& node, const FieldSpec& field, const std::string& path) {
    if ((kind_of(node) & field.kinds) == 0) {
      wrong_type(node, field.accepted, path);
      return;
    }
    if (auto* table = node.as_table()) {
      this->table(*table, *field.child, path);
      return;
    }
    if (auto* array = node.as_array()) {
      const auto size = static_cast<std::int64_t>(array->size());
      if (size < field.min || size > field.max) {
        report(node, code::kArrayLength, path,
               "has " + std::to_string(size) + " entries; expected " + std::string(field.accepted));
      }
      std::size_t index = 0;
      for (toml::node& element : *array) {
        const std::string element_path = path + "[" + std::to_string(index++) + "]";
        if ((kind_of(element) & field.element_kinds) == 0) {
          wrong_type(element, field.accepted, element_path);
        } else if (auto* element_table = element.as_table()) {
          this->table(*element_table, *field.child, element_path);
        } else {
          scalar(element, field, element_path);
        }
      }
      return;
    }
    scalar(node, field, path);
  }

  void scalar(toml::node& node, const FieldSpec& field, const std::string& path) {
    if (const auto* text = node.as_string()) {
      if (text->get().size() > kMaxStringBytes) {
        report(node, code::kTooLong, path, too_long(describe_value(node), text->get()));
        return;
      }
      if (has_control_character(text->get())) {
        report(node, code::kControlCharacter, path,
               describe_value(node) + " contains a control character; remove it");
        return;
      }
      if (!field.one_of.empty() &&
          std::find(field.one_of.begin(), field.one_of.end(), text->get()) == field.one_of.end()) {
        std::string message =
            describe_value(node) + " is not accepted; expected " + std::string(field.accepted);
        if (auto guess = nearest(text->get(), field.one_of)) {
          message += " (did you mean \"" + std::string(*guess) + "\"?)";
        }
        report(node, code::kNotOneOf, path, message);
        return;
      }
    }
    if (const auto* number = node.as_integer()) {
      if (number->get() < field.min || number->get() > field.max) {
        report(node, code::kOutOfRange, path,
               describe_value(node) + " is out of range; expected " + std::string(field.accepted));
        return;
      }
    }
    if (field.check != nullptr) {
      if (auto problem = field.check(node, input_.context)) {
        report(node, problem->code, path, problem->message);
      }
    }
  }

  void unknown_key(const toml::key& key, const toml::node& node, const TableSpec& spec,
                   const std::string& path) {
    std::vector<std::string_view> known;
    known.reserve(spec.fields.size());
    for (const FieldSpec& f : spec.fields) known.push_back(f.key);
    std::string where = spec.name.empty() ? std::string("at the top level")
                                          : "in [" + table_display_name(path) + "]";
    std::string message = "unknown key " + quote(key.str()) + " " + where;
    if (auto guess = nearest(key.str(), known)) {
      message += " (did you mean \"" + std::string(*guess) + "\"?)";
    }
    const auto& position = key.source().begin ? key.source().begin : node.source().begin;
    out_.push_back({std::string(code::kUnknownKey), input_.file, static_cast<int>(position.line),
                    static_cast<int>(position.column), join_key_path(path, key.str()), message});
  }

  void wrong_type(const toml::node& node, std::string_view accepted, const std::string& path) {
    std::string got = std::string(kind_name(node));
    if ((kind_of(node) & (kString | kInteger | kBoolean)) != 0 || node.is_floating_point()) {
      got.append(" ").append(describe_value(node));  // not " " + ...: GCC 12 -Wrestrict
    }
    report(node, code::kWrongType, path, "expected " + std::string(accepted) + ", got " + got);
  }

  bool insert_default(toml::table& table, const FieldSpec& field) {
    return std::visit(
        [&](const auto& value) {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return false;
          } else if constexpr (std::is_same_v<T, std::string_view>) {
            table.insert(field.key, std::string(value));
            return true;
          } else if constexpr (std::is_same_v<T, std::span<const std::string_view>>) {
            toml::array array;
            for (const std::string_view element : value) array.push_back(std::string(element));
            table.insert(field.key, std::move(array));
            return true;
          } else {
            table.insert(field.key, value);
            return true;
          }
        },
        field.fallback);
  }

  void report(const toml::node& node, std::string_view code, const std::string& path,
              std::string message) {
    // Inserted defaults have no position; they are reported where their table starts.
    const auto& position = node.source().begin || enclosing_ == nullptr
                               ? node.source().begin
                               : enclosing_->source().begin;
    out_.push_back({std::string(code), input_.file, static_cast<int>(position.line),
                    static_cast<int>(position.column), path, std::move(message)});
  }

  const WalkInput& input_;
  std::vector<Diagnostic>& out_;
  const toml::node* enclosing_ = nullptr;
};

}  // namespace

std::string describe_value(const toml::node& node) {
  if (const auto* text = node.as_string()) return quote(text->get());
  if (const auto* number = node.as_integer()) return std::to_string(number->get());
  if (const auto* flag = node.as_boolean()) return flag->get() ? "true" : "false";
  if (const auto* real = node.as_floating_point()) {
    std::ostringstream text;
    text << real->get();
    return text.str();
  }
  return "a " + std::string(kind_name(node));
}

bool walkable_text(std::string_view text) {
  return text.size() <= kMaxStringBytes && !has_control_character(text);
}

std::string join_key_path(const std::string& parent, std::string_view key) {
  const std::string shown =
      is_bare_key(key) && key.size() <= kDisplayLimit ? std::string(key) : quote(key);
  return parent.empty() ? shown : parent + "." + shown;
}

void walk(toml::table& root, const TableSpec& spec, const WalkInput& input,
          std::vector<Diagnostic>& out) {
  Walker(input, out).table(root, spec, "");
}

}  // namespace wsgid::profile
