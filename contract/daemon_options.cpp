#include "daemon_options.hpp"

#include <cerrno>
#include <cstdlib>

namespace wsgid::daemon_option {

const Spec* find(std::string_view name) {
  for (const Spec& s : kTable) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const char* names() {
  static const std::string joined = [] {
    std::string out;
    for (const Spec& s : kTable) out.append(out.empty() ? "" : ", ").append(s.name);
    return out;
  }();
  return joined.c_str();
}

std::optional<std::int64_t> parse_number(const Spec& spec, const char* value) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(value, &end, spec.kind == Kind::kOctal ? 8 : 10);
  if (*value == '\0' || *end != '\0' || errno == ERANGE) return std::nullopt;
  if (spec.kind == Kind::kZeroOrNumber && v == 0) return 0;
  if (v < spec.min || v > spec.max) return std::nullopt;
  return v;
}

std::string readers_text(unsigned readers) {
  std::string out;
  for (const auto& [bit, name] :
       {std::pair{kParent, "parent"}, std::pair{kWorker, "worker"}, std::pair{kDaemon, "daemon"}}) {
    if (readers & bit) out.append(out.empty() ? "" : ", ").append(name);
  }
  return out;
}

}  // namespace wsgid::daemon_option
