// WSGIDaemonProcess's options as one table: the contract between the launcher, which writes them
// into httpd.conf, and the module, which parses them. A row names the option, the kind of value
// it takes and its range, the member of DaemonOptions it sets, what an error says is accepted,
// and which processes read the value (so which changes need what restarted). The module's parser,
// its did-you-mean list, the launcher's rendering (names checked at compile time), the profile's
// ranges (tests/unit/launcher/daemon_option_ranges_test.cpp) and docs/directives.md's option list
// (tests/unit/module/daemon_options_test.cpp) all follow it.
//
// No APR or httpd here: the launcher links it too.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

struct apr_array_header_t;  // the module's string lists: only pointed to here

namespace wsgid {

// sandbox-filesystem=: off, on (enforced by Landlock) or log (learning mode: not enforced, each
// path the scope would refuse is logged once). The order is the option's choices'.
enum class FilesystemScope { kOff, kOn, kLog };

// What the options set, with mod_wsgi's defaults. DaemonGroup (config.hpp) derives from it.
struct DaemonOptions {
  int processes = 1;
  bool multiprocess_option = false;  // processes= given explicitly
  int threads = 15;
  const char* user = nullptr;
  const char* group = nullptr;
  uid_t uid = 0;
  gid_t gid = 0;
  const char* home = nullptr;
  const char* display_name = nullptr;
  const char* python_home = nullptr;
  apr_array_header_t* python_path = nullptr;  // const char*
  const char* lang = nullptr;
  const char* locale = nullptr;
  long maximum_requests = 0;
  long maximum_requests_jitter = 0;  // each process recycles after maximum + [0, jitter]
  int graceful_timeout = 15;         // seconds
  int shutdown_timeout = 5;
  int connect_timeout = 15;
  int socket_timeout = 0;  // 0: the server's Timeout
  int request_timeout = 0;
  int queue_timeout = 0;
  int inactivity_timeout = 0;
  int listen_backlog = 100;
  int umask = -1;  // -1: inherited
  const char* seccomp_filter = nullptr;
  bool seccomp_learning = false;   // seccomp-notify=log: log denied calls and let them run
  const char* env_file = nullptr;  // NAME=VALUE records, read before the privilege drop
  int cpu_time_limit = 0;          // seconds of CPU time before a graceful recycle
  int cpu_priority = 0;            // setpriority() nice value
  bool cpu_priority_set = false;
  const char* chroot = nullptr;  // absolute, no trailing '/'
  long long memory_limit = 0;    // resident bytes before a graceful recycle
  int restart_interval = 0;      // seconds
  int startup_timeout = 0;       // seconds
  int deadlock_timeout = 300;    // seconds; mod_wsgi's default
  long stack_size = 0;           // bytes; 0: the system's default
  // Landlock (landlock_scope.hpp). The filesystem scope is opt-in for hand-written configs;
  // `wsgid render` turns it on. The scopes (signals, abstract sockets) are on by default.
  FilesystemScope sandbox_filesystem = FilesystemScope::kOff;
  bool sandbox_scopes = true;
  apr_array_header_t* sandbox_read = nullptr;   // const char*, absolute
  apr_array_header_t* sandbox_write = nullptr;  // const char*, absolute
  // Options only the daemon reads, as option=value records outside httpd.conf
  // (module/daemon_settings.hpp): re-read by the parent before it forks a daemon.
  const char* settings_file = nullptr;
};

namespace daemon_option {

enum class Kind {
  kNumber,         // a whole number from min to max
  kZeroOrNumber,   // 0 (off) or a whole number from min to max
  kOctal,          // an octal number from min to max
  kChoice,         // one of `choices`; the member gets the chosen one's index
  kText,           // any string, kept as written
  kServerPath,     // a file; a relative path is resolved against ServerRoot
  kSearchPath,     // entries joined by ':', appended to the member's list
  kAbsolutePaths,  // absolute paths joined by ':', appended to the member's list
  kDirectory,      // an existing directory, absolute (chroot=)
  kUser,           // a user name or #uid: sets user, uid and (unless group= is given) gid
  kGroup,          // a group name or #gid: sets group and gid
  kDisplayName,    // a process title; %{GROUP} is "(wsgi:NAME)"
};

// The processes that read an option's value: a parent-read value takes effect at httpd's next
// (graceful) restart, a worker-read one in new worker children, a daemon-read one in every
// daemon started after the change.
enum Reader : unsigned { kParent = 1U << 0, kWorker = 1U << 1, kDaemon = 1U << 2 };

using Member =
    std::variant<std::monostate, int DaemonOptions::*, long DaemonOptions::*,
                 long long DaemonOptions::*, bool DaemonOptions::*, const char * DaemonOptions::*,
                 apr_array_header_t * DaemonOptions::*, FilesystemScope DaemonOptions::*>;

struct Spec {
  std::string_view name;
  Kind kind = Kind::kText;
  Member member{};
  std::int64_t min = 0;  // kNumber, kZeroOrNumber, kOctal
  std::int64_t max = 0;
  std::span<const std::string_view> choices{};  // kChoice, in the member's order
  unsigned readers = 0;
  // What an error says is accepted; empty for kNumber, whose range says it.
  std::string_view accepted{};
  bool DaemonOptions::*given = nullptr;  // also set when the option is given at all
  // May be given in a settings-file (module/daemon_settings.hpp): the daemon process applies it,
  // so the parent can fork new daemons with a changed value while httpd keeps running.
  bool reloadable = false;
};

using O = DaemonOptions;
inline constexpr std::int64_t kDay = 86400;
inline constexpr std::int64_t kYear = 365 * kDay;
inline constexpr std::array<std::string_view, 2> kOffOn{"off", "on"};
inline constexpr std::array<std::string_view, 2> kKillLog{"kill", "log"};
inline constexpr std::array<std::string_view, 3> kOffOnLog{"off", "on", "log"};

// Shorthands keep each row on a line or two, readable as a table.
template <typename Field>
constexpr Spec number(std::string_view name, Field O::*member, std::int64_t min, std::int64_t max,
                      unsigned readers, bool O::*given = nullptr) {
  return {.name = name,
          .kind = Kind::kNumber,
          .member = member,
          .min = min,
          .max = max,
          .readers = readers,
          .given = given};
}
constexpr Spec seconds(std::string_view name, int O::*member, unsigned readers,
                       std::int64_t max = kDay) {
  return number(name, member, 0, max, readers);
}
// 0 (off) or min to max; `accepted` words that.
template <typename Field>
constexpr Spec zero_or(std::string_view name, Field O::*member, std::int64_t min, std::int64_t max,
                       unsigned readers, std::string_view accepted) {
  Spec s = number(name, member, min, max, readers);
  s.kind = Kind::kZeroOrNumber;
  s.accepted = accepted;
  return s;
}
template <typename Field>
constexpr Spec choice(std::string_view name, Field O::*member,
                      std::span<const std::string_view> choices, unsigned readers,
                      std::string_view accepted) {
  return {.name = name,
          .kind = Kind::kChoice,
          .member = member,
          .choices = choices,
          .readers = readers,
          .accepted = accepted};
}
constexpr Spec other(std::string_view name, Kind kind, Member member, unsigned readers) {
  return {.name = name, .kind = kind, .member = member, .readers = readers};
}

// Marks a row as one a settings-file may hold.
constexpr Spec reloadable(Spec s) {
  s.reloadable = true;
  return s;
}
constexpr std::int64_t kUnbounded = std::numeric_limits<std::int64_t>::max();

// The order is the order of the "valid options are" list in error messages.
inline constexpr std::array kTable{
    number("processes", &O::processes, 1, 1024, kParent | kWorker | kDaemon,
           &O::multiprocess_option),
    reloadable(number("threads", &O::threads, 1, 1024, kParent | kWorker | kDaemon)),
    other("user", Kind::kUser, {}, kParent | kDaemon),
    other("group", Kind::kGroup, {}, kParent | kDaemon),
    other("home", Kind::kText, &O::home, kDaemon),
    reloadable(other("display-name", Kind::kDisplayName, &O::display_name, kDaemon)),
    other("python-home", Kind::kText, &O::python_home, kParent | kDaemon),
    reloadable(other("python-path", Kind::kSearchPath, &O::python_path, kParent | kDaemon)),
    reloadable(other("lang", Kind::kText, &O::lang, kDaemon)),
    reloadable(other("locale", Kind::kText, &O::locale, kDaemon)),
    reloadable(number("maximum-requests", &O::maximum_requests, 0, kUnbounded, kDaemon)),
    reloadable(
        number("maximum-requests-jitter", &O::maximum_requests_jitter, 0, 1'000'000'000, kDaemon)),
    reloadable(seconds("graceful-timeout", &O::graceful_timeout, kDaemon)),
    reloadable(seconds("shutdown-timeout", &O::shutdown_timeout, kParent | kDaemon)),
    seconds("connect-timeout", &O::connect_timeout, kWorker),
    seconds("socket-timeout", &O::socket_timeout, kWorker | kDaemon),
    reloadable(seconds("request-timeout", &O::request_timeout, kDaemon)),
    reloadable(seconds("queue-timeout", &O::queue_timeout, kDaemon)),
    reloadable(seconds("inactivity-timeout", &O::inactivity_timeout, kDaemon)),
    number("listen-backlog", &O::listen_backlog, 1, 65535, kParent),
    Spec{.name = "umask",
         .kind = Kind::kOctal,
         .member = &O::umask,
         .min = 0,
         .max = 0777,
         .readers = kDaemon,
         .accepted = "an octal mode from 0000 to 0777"},
    other("seccomp-filter", Kind::kServerPath, &O::seccomp_filter, kDaemon),
    choice("seccomp-notify", &O::seccomp_learning, kKillLog, kDaemon,
           "kill (log the denied call, kill the process) or log (learning mode: log it and let "
           "it run)"),
    other("env-file", Kind::kServerPath, &O::env_file, kDaemon),
    reloadable(seconds("cpu-time-limit", &O::cpu_time_limit, kDaemon, kYear)),
    reloadable(number("cpu-priority", &O::cpu_priority, -20, 19, kDaemon, &O::cpu_priority_set)),
    other("chroot", Kind::kDirectory, &O::chroot, kDaemon),
    // Below 1 MiB a fresh interpreter alone would exceed the limit and every daemon would
    // recycle as soon as it started.
    reloadable(zero_or("memory-limit", &O::memory_limit, 1024 * 1024, kUnbounded, kDaemon,
                       "0 (no limit) or a resident size in bytes from 1048576")),
    reloadable(seconds("restart-interval", &O::restart_interval, kDaemon, kYear)),
    reloadable(seconds("startup-timeout", &O::startup_timeout, kDaemon)),
    reloadable(seconds("deadlock-timeout", &O::deadlock_timeout, kDaemon)),
    // CPython needs far more than PTHREAD_STACK_MIN for even shallow recursion.
    reloadable(zero_or("stack-size", &O::stack_size, 64 * 1024, 1024 * 1024 * 1024, kDaemon,
                       "0 (the system's default) or a size in bytes from 65536 to 1073741824")),
    choice("sandbox-filesystem", &O::sandbox_filesystem, kOffOnLog, kParent | kDaemon,
           "on (Landlock limits the files the daemon opens), off, or log (learning mode: log "
           "what would be refused)"),
    other("sandbox-read", Kind::kAbsolutePaths, &O::sandbox_read, kDaemon),
    other("sandbox-write", Kind::kAbsolutePaths, &O::sandbox_write, kDaemon),
    choice("sandbox-scopes", &O::sandbox_scopes, kOffOn, kParent | kDaemon, "on or off"),
    other("settings-file", Kind::kServerPath, &O::settings_file, kParent),
};

// Each row's member has the type its kind stores into, and names are unique: the module's
// parser relies on both.
consteval bool rows_are_consistent() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    const Spec& s = kTable[i];
    const Member& m = s.member;
    const bool number = std::holds_alternative<int O::*>(m) ||
                        std::holds_alternative<long O::*>(m) ||
                        std::holds_alternative<long long O::*>(m);
    const bool text = std::holds_alternative<const char * O::*>(m);
    bool ok = false;
    switch (s.kind) {
      case Kind::kNumber:
      case Kind::kZeroOrNumber:
      case Kind::kOctal:
        ok = number && s.min <= s.max;
        break;
      case Kind::kChoice:
        ok = (std::holds_alternative<bool O::*>(m) && s.choices.size() == 2) ||
             (std::holds_alternative<FilesystemScope O::*>(m) && s.choices.size() == 3);
        break;
      case Kind::kText:
      case Kind::kServerPath:
      case Kind::kDirectory:
      case Kind::kDisplayName:
        ok = text;
        break;
      case Kind::kSearchPath:
      case Kind::kAbsolutePaths:
        ok = std::holds_alternative<apr_array_header_t * O::*>(m);
        break;
      case Kind::kUser:
      case Kind::kGroup:
        ok = std::holds_alternative<std::monostate>(m);
        break;
    }
    if (!ok) return false;
    // A settings-file's value is copied into the live group member by member.
    if (s.reloadable && std::holds_alternative<std::monostate>(m)) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (kTable[j].name == s.name) return false;
    }
  }
  return true;
}
static_assert(rows_are_consistent(),
              "a daemon option's kind and member disagree, or a name repeats");

// The row of `name`, or nullptr.
const Spec* find(std::string_view name);

// The row of `name`, for code that writes an option: a name not in the table does not compile.
consteval const Spec& spec(std::string_view name) {
  for (const Spec& s : kTable) {
    if (s.name == name) return s;
  }
  throw "not a WSGIDaemonProcess option";  // not a constant expression: a compile error
}

// Every name, joined by ", ": the list error messages give and did-you-mean searches.
const char* names();

// A kNumber, kZeroOrNumber or kOctal value as the module reads it, or nullopt when it is not
// one of the accepted numbers.
std::optional<std::int64_t> parse_number(const Spec& spec, const char* value);

// "parent, worker, daemon": who reads an option, as docs/directives.md writes it.
std::string readers_text(unsigned readers);

}  // namespace daemon_option
}  // namespace wsgid
