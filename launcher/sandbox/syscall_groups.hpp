// Named syscall groups for seccomp policies: a static table, the resolver that expands a mix of
// group and syscall names, and the name checks the profile validator uses.
#pragma once

#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wsgid::sandbox {

// One row of the group table. `members` is a space-separated list of syscall names and other
// group names ("@..."), kept as one literal so the table reads like documentation.
struct SyscallGroup {
  std::string_view name;  // always starts with '@'
  std::string_view help;  // one line, no trailing period
  std::string_view members;
};

// The whole table, in display order.
std::span<const SyscallGroup> all_groups();

// nullptr when `name` is not a group name (the leading '@' is part of the name).
const SyscallGroup* find_group(std::string_view name);

// `group.members` split on spaces.
std::vector<std::string_view> group_members(const SyscallGroup& group);

// Expands groups (recursively) and passes syscall names through. Names that are neither a
// known group nor a syscall known to libseccomp land in `unknown`, in input order.
struct Resolution {
  std::set<std::string> syscalls;
  std::vector<std::string> unknown;
};
Resolution resolve(std::span<const std::string> names);

// True when libseccomp knows the syscall on ANY architecture. Syscalls that do not exist on the
// running architecture are valid in a policy and skipped when compiling.
bool is_known_syscall(std::string_view name);

// Every syscall name libseccomp knows (all architectures), sorted.
const std::vector<std::string>& known_syscalls();

// Closest group name (for "@..." input) or syscall name to an unknown `name`, when one is close
// enough to be a plausible typo.
std::optional<std::string> suggest_name(std::string_view name);

// For `wsgid seccomp groups`: name, help line and members of every group.
void print_groups(std::ostream& out);

}  // namespace wsgid::sandbox
