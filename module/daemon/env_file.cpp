#include "env_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "config/records_file.hpp"

namespace wsgid {
namespace {

constexpr RecordsFileKind kEnvFile{"env-file", "WSGID0590", "WSGID0591", "WSGID0592"};

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const char* apply_env_file(const char* path, uid_t owner, std::string& error) {
  const char* setenv_failed = nullptr;
  const char* code = read_records_file(
      path, owner, kEnvFile, error, [&](char* entry, std::size_t, std::string& why) {
        char* equals = std::strchr(entry, '=');
        if (!equals ||
            !valid_name(std::string_view(entry, static_cast<std::size_t>(equals - entry)))) {
          // The name is shown only when it is one; a value is never shown.
          why = "is not NAME=VALUE with a name of letters, digits and '_'";
          return false;
        }
        *equals = '\0';
        if (::setenv(entry, equals + 1, 1) != 0) {
          why = std::string("cannot be set: ") + std::strerror(errno);
          setenv_failed = "WSGID0590";
          return false;
        }
        return true;
      });
  return setenv_failed ? setenv_failed : code;
}

}  // namespace wsgid
