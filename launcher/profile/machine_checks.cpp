// Checks that consult this machine: paths that must exist (resolved against the profile's
// directory and rewritten absolute), accounts httpd will resolve, the python home's version and
// an htpasswd file's entries.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "check_support.hpp"
#include "checks.hpp"
#include "codes.hpp"
#include "display_text.hpp"
#include "htpasswd.hpp"
#include "python_home.hpp"
#include "walker.hpp"

namespace wsgid::profile::checks {

using namespace support;
namespace fs = std::filesystem;

namespace {

fs::path resolve(const std::string& text, const CheckContext& context) {
  const fs::path path(text);
  return (path.is_absolute() ? path : context.profile_dir / path).lexically_normal();
}

// Resolves a path value in place; returns the absolute path and whether it exists with the
// right kind, so every path error names both what was written and what it resolved to.
enum class Want { kDirectory, kFile };

std::optional<Problem> existing(toml::node& value, const CheckContext& context, Want want) {
  const std::string written = text_of(value);
  const fs::path absolute = resolve(written, context);
  std::error_code error;
  const bool ok = want == Want::kDirectory ? fs::is_directory(absolute, error)
                                           : fs::is_regular_file(absolute, error);
  const std::string kind = want == Want::kDirectory ? "directory" : "file";
  if (!ok) {
    std::string message = "path " + describe_value(value);
    if (written != absolute.string()) message += " (resolved to \"" + absolute.string() + "\")";
    message += fs::exists(absolute, error) ? " is not a " + kind : " does not exist";
    message += "; expected an existing " + kind +
               " (relative paths are resolved against the profile's directory)";
    return Problem{code::kMissingPath, message};
  }
  *value.as_string() = absolute.string();
  return std::nullopt;
}

enum class Account { kUser, kGroup };

// httpd and mod_wsgid resolve names when they read the config: a name this machine does not
// know fails `apache2 -t`, and root is never what a worker or daemon should run as.
std::optional<Problem> existing_account(const toml::node& value, const CheckContext& context,
                                        Account account) {
  toml::value<std::string> copy{text_of(value)};
  if (auto bad = account_name(copy, context)) return bad;
  const std::string text = text_of(value);
  const std::string_view kind = account == Account::kUser ? "user" : "group";
  bool root = text.starts_with('#') && text.find_first_not_of("#0") == std::string::npos;
  if (!text.starts_with('#')) {
    std::vector<char> buffer(16384);
    bool found = false;
    if (account == Account::kUser) {
      passwd entry{};
      passwd* result = nullptr;
      found = ::getpwnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &result) == 0 &&
              result != nullptr;
      root = found && entry.pw_uid == 0;
    } else {
      group entry{};
      group* result = nullptr;
      found = ::getgrnam_r(text.c_str(), &entry, buffer.data(), buffer.size(), &result) == 0 &&
              result != nullptr;
      root = found && entry.gr_gid == 0;
    }
    if (!found) {
      return Problem{code::kUnknownAccount,
                     std::string(kind) + " " + describe_value(value) +
                         " does not exist on this machine, so httpd would refuse the config; " +
                         "create it (" +
                         (account == Account::kUser ? "useradd --system " : "groupadd --system ") +
                         text + ") or name an existing one such as \"www-data\""};
    }
  }
  if (root) {
    return Problem{code::kRootAccount,
                   std::string(kind) + " " + describe_value(value) +
                       " is root; httpd's workers and the app's daemons must run unprivileged: "
                       "name an unprivileged " +
                       std::string(kind) + " such as \"www-data\""};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Problem> user_account(toml::node& value, const CheckContext& context) {
  return existing_account(value, context, Account::kUser);
}

std::optional<Problem> group_account(toml::node& value, const CheckContext& context) {
  return existing_account(value, context, Account::kGroup);
}

std::optional<Problem> app(toml::node& value, const CheckContext& context) {
  if (is_module_app(text_of(value))) return std::nullopt;
  const std::string text = text_of(value);
  if (text.find(':') != std::string::npos && text.find('/') == std::string::npos) {
    return problem(code::kBadApp, value,
                   "a WSGI script path or \"package.module:callable\" with Python "
                   "identifiers, such as \"myapp.wsgi:application\"");
  }
  if (auto missing = existing(value, context, Want::kFile)) return missing;
  if (has_glob_character(text_of(value))) {
    return glob_problem(value, "Directory> and <Files",
                        "rename the script or its directory, or point app at a symlink without "
                        "them");
  }
  return std::nullopt;
}

std::optional<Problem> static_directory(toml::node& value, const CheckContext& context) {
  if (auto missing = existing(value, context, Want::kDirectory)) return missing;
  if (has_glob_character(text_of(value))) {
    return glob_problem(value, "Directory",
                        "rename the directory or point at a symlink without them");
  }
  return std::nullopt;
}

std::optional<Problem> existing_directory(toml::node& value, const CheckContext& context) {
  return existing(value, context, Want::kDirectory);
}

std::optional<Problem> existing_file(toml::node& value, const CheckContext& context) {
  return existing(value, context, Want::kFile);
}

std::optional<Problem> python_path_entry(toml::node& value, const CheckContext& context) {
  if (text_of(value).find(':') != std::string::npos) {
    return Problem{code::kBadPathCharacter,
                   "path " + describe_value(value) +
                       " contains ':', which separates python-path entries; rename or "
                       "symlink the directory"};
  }
  return existing(value, context, Want::kDirectory);
}

std::optional<Problem> sandbox_path(toml::node& value, const CheckContext&) {
  const std::string text = text_of(value);
  if (!fs::path(text).is_absolute()) {
    return Problem{code::kRelativeSandboxPath,
                   "path " + describe_value(value) +
                       " is not absolute; the sandbox lists name directories or files as the "
                       "daemon sees them, such as \"/srv/shop/media\""};
  }
  if (text.find(':') != std::string::npos) {
    return Problem{code::kBadPathCharacter,
                   "path " + describe_value(value) +
                       " contains ':', which separates sandbox-read/sandbox-write entries; "
                       "rename or symlink it"};
  }
  std::error_code error;
  if (!fs::exists(text, error)) {
    return Problem{code::kMissingPath,
                   "path " + describe_value(value) +
                       " does not exist; expected an existing directory or file (create it "
                       "first: the daemon can only be granted what exists when it starts)"};
  }
  *value.as_string() = fs::path(text).lexically_normal().string();
  return std::nullopt;
}

std::optional<Problem> python_home(toml::node& value, const CheckContext& context) {
  if (auto missing = existing(value, context, Want::kDirectory)) return missing;
  const fs::path home = text_of(value);
  const auto version = python_home_version(home);
  const std::string wanted = embedded_python_version();
  if (version == wanted) return std::nullopt;
  std::string message = "python home \"" + home.string() + "\" ";
  message += version ? "is for Python " + *version
                     : "has neither pyvenv.cfg nor lib/pythonX.Y, so it is not a python home";
  message += "; this wsgid embeds Python " + wanted + ": create the virtualenv with that Python (" +
             embedded_python_executable() + " -m venv DIR)";
  return Problem{code::kPythonVersion, message};
}

std::optional<Problem> log_target(toml::node& value, const CheckContext& context) {
  const std::string text = text_of(value);
  if (text == "stdout" || text == "stderr") return std::nullopt;
  if (auto missing = existing(value, context, Want::kDirectory)) {
    missing->message += ", or \"stdout\" or \"stderr\"";
    return missing;
  }
  return std::nullopt;
}

std::optional<Problem> log_file(toml::node& value, const CheckContext& context) {
  const fs::path absolute = resolve(text_of(value), context);
  std::error_code error;
  if (!fs::is_directory(absolute.parent_path(), error) || fs::is_directory(absolute, error)) {
    return Problem{code::kMissingPath,
                   "log file " + describe_value(value) + " (resolved to \"" + absolute.string() +
                       "\") is not a file in an existing directory; create the directory or "
                       "choose another path"};
  }
  *value.as_string() = absolute.string();
  return std::nullopt;
}

std::optional<Problem> htpasswd_file(toml::node& value, const CheckContext& context) {
  if (auto missing = existing(value, context, Want::kFile)) return missing;
  if (const auto wrong = htpasswd_file_problem(text_of(value))) {
    return Problem{code::kBadHtpasswd, "htpasswd file " + describe_value(value) + " " + *wrong};
  }
  return std::nullopt;
}

}  // namespace wsgid::profile::checks
