// A per-site seccomp policy: validation (errors the launcher maps to file:line:col) and
// compilation to a raw BPF program with libseccomp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wsgid::sandbox {

inline constexpr std::string_view kBaseDefault = "default";
inline constexpr std::string_view kBaseOff = "off";

// A site's seccomp policy as its profile states it: the model holds it (validated) and the
// sandbox stage compiles it; nothing converts it to another form in between.
struct Policy {
  // Action for a syscall outside the allowed set.
  enum class Action {
    kErrno,  // the call fails with EPERM
    kKill,   // the whole process dies with SIGSYS
    kLog,    // learning mode: the call runs and the kernel logs it
  };

  std::string base = "default";  // "default" or "off" (no filter at all)
  std::vector<std::string> allow;
  std::vector<std::string> deny;  // wins over `allow` and over the base
  Action action = Action::kErrno;

  bool enabled() const { return base != kBaseOff; }         // a filter is compiled and installed
  bool learning() const { return action == Action::kLog; }  // denied calls run and are logged
};

// "errno" | "kill" | "log"; std::nullopt for anything else (the launcher reports WSGID3006 with
// action_error_message()).
std::optional<Policy::Action> parse_action(std::string_view text);
std::string_view action_name(Policy::Action action);
std::string action_error_message(std::string_view bad_value);

enum class PolicyField { kBase, kAllow, kDeny };
std::string_view field_name(PolicyField field);  // "seccomp", "allow", "deny"

struct PolicyError {
  std::string_view code;  // stable, "WSGID3xxx", documented in docs/sandbox.md
  PolicyField field;
  std::size_t index;    // position in allow/deny; 0 for kBase
  std::string value;    // the offending entry, verbatim
  std::string message;  // names the key and the bad value and says how to fix it
};

// Every problem in the policy, in field order then index order; empty when valid.
std::vector<PolicyError> validate(const Policy& policy);

// The syscall names a valid policy allows: base + allow - deny. Empty for base "off".
std::set<std::string> allowed_syscalls(const Policy& policy);

struct CompileOptions {
  // With actions kill and log: answer denied calls with SECCOMP_RET_USER_NOTIF, for a
  // DenialReporter (filter_loader.hpp) that logs each one by name, then kills the caller (kill)
  // or lets the call run (log). A SIGSYS handler (SECCOMP_RET_TRAP) could not: CPython blocks
  // every signal around vfork() in subprocess, and the kernel turns a trapped call with SIGSYS
  // blocked into a silent kill. The few calls the reporter itself
  // makes (its seccomp ioctls, kill with SIGKILL or SIGSYS) stay allowed whatever the policy says.
  bool report_via_notify = false;
};

struct CompiledFilter {
  std::vector<std::uint8_t> program;  // struct sock_filter[] as the kernel takes it
  std::string error;                  // set (and program empty) on failure
  bool ok() const { return error.empty(); }
};

// Compiles a policy for the running architecture. Base "off" yields ok() with an empty program:
// the caller installs no filter. An invalid policy yields the first validation message.
CompiledFilter compile(const Policy& policy, const CompileOptions& options = {});

// Writes `program` to `path` (mode 0644, via a temp file and rename so a reader never sees a
// partial filter). Returns false and sets `error` on failure.
bool write_filter_file(const std::string& path, std::span<const std::uint8_t> program,
                       std::string& error);

}  // namespace wsgid::sandbox
