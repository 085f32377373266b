// Validation and compilation of a per-site policy. The compiled program is an allow-list for the
// running architecture; special cases for clone/clone3 keep threads possible whatever is denied.
#include "policy.hpp"

#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>

#include "syscall_groups.hpp"
#include "atomic_file.hpp"
#include "quoted.hpp"
#include "unique_fd.hpp"

namespace wsgid::sandbox {
namespace {

std::string did_you_mean(std::string_view bad) {
  if (auto suggestion = suggest_name(bad)) return " (did you mean " + quoted(*suggestion) + "?)";
  return {};
}

void check_list(const std::vector<std::string>& names, PolicyField field,
                std::vector<PolicyError>& errors) {
  const std::string key = "sandbox." + std::string(field_name(field));
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const std::string where = key + "[" + std::to_string(i) + "]";
    if (name.empty() || name == "@") {
      errors.push_back({"WSGID3004", field, i, name,
                        "empty name " + quoted(name) + " in " + where +
                            "; use a syscall name such as \"ptrace\" or a group such as "
                            "\"@network-io\""});
    } else if (name.starts_with('@')) {
      if (find_group(name) == nullptr) {
        errors.push_back({"WSGID3001", field, i, name,
                          "unknown syscall group " + quoted(name) + " in " + where +
                              did_you_mean(name) + "; \"wsgid seccomp groups\" lists the groups"});
      }
    } else if (!is_known_syscall(name)) {
      errors.push_back({"WSGID3005", field, i, name,
                        "unknown syscall " + quoted(name) + " in " + where + did_you_mean(name) +
                            "; use a syscall name known to libseccomp or a group from "
                            "\"wsgid seccomp groups\""});
    }
  }
}

struct ContextDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

std::string failure(std::string_view what, int rc) {
  return "WSGID3010: cannot compile the seccomp policy: " + std::string(what) + ": " +
         std::strerror(-rc) + "; this is a bug or an unsupported libseccomp/kernel";
}

// Namespace-creating clone flags; with them clone would be an unshare in disguise.
constexpr std::uint64_t kCloneNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                               CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                               CLONE_NEWNET;

// clone's flags are its first argument everywhere except s390, which swaps the first two.
unsigned clone_flags_arg() {
  const auto arch = seccomp_arch_native();
  return (arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X) ? 1 : 0;
}

// clone3 passes its flags in memory, out of a filter's reach: unless everything clone3 could
// do is allowed anyway, answer ENOSYS so glibc falls back to clone, whose flags we can check.
int add_clone_rules(scmp_filter_ctx ctx, const std::set<std::string>& allowed) {
  const bool may_fork = allowed.contains("clone");
  const bool may_unshare = allowed.contains("unshare");
  const unsigned arg = clone_flags_arg();
  const int nr = SCMP_SYS(clone);
  int rc = 0;
  if (may_fork && may_unshare) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  } else if (may_fork) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
                          SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, kCloneNamespaceFlags, 0));
  } else {
    // Threads only: CLONE_THREAD implies CLONE_VM and CLONE_SIGHAND, so no new process.
    rc = seccomp_rule_add(
        ctx, SCMP_ACT_ALLOW, nr, 1,
        SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, CLONE_THREAD | kCloneNamespaceFlags, CLONE_THREAD));
  }
  if (rc < 0) return rc;
  const bool clone3_unrestricted = may_fork && may_unshare && allowed.contains("clone3");
  return seccomp_rule_add(ctx, clone3_unrestricted ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(ENOSYS),
                          SCMP_SYS(clone3), 0);
}

// The daemon tries memfd_create for a connection's response ring (module/python/connection.cpp)
// and sends large bodies through its socket when that fails. Under action kill a denied call would
// kill the daemon instead, and it cannot know the policy beforehand, so a denied memfd_create is
// answered EPERM whatever the action; it stays denied. Under log it runs, and is logged, as any
// other denied call.
int add_memfd_rule(scmp_filter_ctx ctx, const std::set<std::string>& allowed,
                   Policy::Action action) {
  if (allowed.contains("memfd_create") || action != Policy::Action::kKill) return 0;
  return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(memfd_create), 0);
}

// The denial reporter must never be denied itself: a denied call of its own would wait for a
// notification only it can answer. Narrow rules keep what it needs whatever the policy says.
int add_reporter_rules(scmp_filter_ctx ctx, const std::set<std::string>& allowed) {
  if (!allowed.contains("ioctl")) {
    for (unsigned long request : {static_cast<unsigned long>(SECCOMP_IOCTL_NOTIF_RECV),
                                  static_cast<unsigned long>(SECCOMP_IOCTL_NOTIF_SEND),
                                  static_cast<unsigned long>(SECCOMP_IOCTL_NOTIF_ID_VALID)}) {
      if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                    SCMP_A1(SCMP_CMP_EQ, request));
          rc < 0) {
        return rc;
      }
    }
  }
  for (const char* name : {"kill", "tgkill"}) {
    if (allowed.contains(name)) continue;
    const int nr = seccomp_syscall_resolve_name(name);
    const unsigned signal_arg = std::string_view(name) == "kill" ? 1 : 2;
    for (scmp_datum_t sig : {scmp_datum_t{SIGSYS}, scmp_datum_t{SIGKILL}}) {
      if (int rc =
              seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_CMP(signal_arg, SCMP_CMP_EQ, sig));
          rc < 0) {
        return rc;
      }
    }
  }
  for (const char* name : {"write", "futex", "getpid", "exit", "exit_group"}) {
    if (allowed.contains(name)) continue;
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(name), 0);
        rc < 0) {
      return rc;
    }
  }
  return 0;
}

// Socket families Docker's default profile refuses: AF_ALG (the kernel crypto API, a recurrent
// source of kernel bugs) and AF_VSOCK (host/guest channels). Ascending, for the ranges below.
constexpr std::array<scmp_datum_t, 2> kRefusedFamilies = {AF_ALG, AF_VSOCK};

// socket() is allowed for every other family. The refused ones answer EAFNOSUPPORT whatever the
// policy's action: it is what a kernel built without the family says, so a library probing for
// it falls back instead of the daemon being killed for a probe. socketcall (32-bit x86) passes
// its arguments in memory, out of a filter's reach; it stays as the group allows it.
int add_socket_rules(scmp_filter_ctx ctx) {
  const int nr = SCMP_SYS(socket);
  scmp_datum_t low = 0;
  for (scmp_datum_t family : kRefusedFamilies) {
    if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), nr, 1,
                                  SCMP_A0_32(SCMP_CMP_EQ, family));
        rc < 0) {
      return rc;
    }
    // Allow [low, family): as one "<" when the range starts at 0, else equality per value (the
    // gaps between refused families are a handful of numbers).
    if (low == 0 && family > 0) {
      if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0_32(SCMP_CMP_LT, family));
          rc < 0) {
        return rc;
      }
    } else {
      for (scmp_datum_t value = low; value < family; ++value) {
        if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0_32(SCMP_CMP_EQ, value));
            rc < 0) {
          return rc;
        }
      }
    }
    low = family + 1;
  }
  return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0_32(SCMP_CMP_GE, low));
}

std::uint32_t default_action(Policy::Action action, const CompileOptions& options) {
  switch (action) {
    case Policy::Action::kErrno:
      return SCMP_ACT_ERRNO(EPERM);
    case Policy::Action::kKill:
      if (options.report_via_notify) return SCMP_ACT_NOTIFY;
      return SCMP_ACT_KILL_PROCESS;
    case Policy::Action::kLog:
      return options.report_via_notify ? SCMP_ACT_NOTIFY : SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

// seccomp_export_bpf only writes to a file descriptor; a memfd keeps it off the disk.
std::string export_program(scmp_filter_ctx ctx, std::vector<std::uint8_t>& program) {
  const UniqueFd memfd(memfd_create("wsgid-seccomp", MFD_CLOEXEC));
  if (memfd.get() < 0) return failure("memfd_create", -errno);
  if (int rc = seccomp_export_bpf(ctx, memfd.get()); rc < 0) return failure("export", rc);
  struct stat st {};
  if (fstat(memfd.get(), &st) < 0) return failure("fstat", -errno);
  program.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < program.size()) {
    const ssize_t n =
        pread(memfd.get(), program.data() + done, program.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failure("read back", n < 0 ? -errno : -EIO);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

std::optional<Policy::Action> parse_action(std::string_view text) {
  if (text == "errno") return Policy::Action::kErrno;
  if (text == "kill") return Policy::Action::kKill;
  if (text == "log") return Policy::Action::kLog;
  return std::nullopt;
}

std::string_view action_name(Policy::Action action) {
  switch (action) {
    case Policy::Action::kErrno:
      return "errno";
    case Policy::Action::kKill:
      return "kill";
    case Policy::Action::kLog:
      return "log";
  }
  return "?";
}

std::string action_error_message(std::string_view bad_value) {
  return "unknown seccomp action " + quoted(bad_value) +
         " in sandbox.action; use \"errno\" (fail with EPERM), \"kill\" (kill the daemon) or "
         "\"log\" (allow and log, for building an allow list)";
}

std::string_view field_name(PolicyField field) {
  switch (field) {
    case PolicyField::kBase:
      return "seccomp";
    case PolicyField::kAllow:
      return "allow";
    case PolicyField::kDeny:
      return "deny";
  }
  return "?";
}

std::vector<PolicyError> validate(const Policy& policy) {
  std::vector<PolicyError> errors;
  if (policy.base != kBaseDefault && policy.base != kBaseOff) {
    errors.push_back({"WSGID3002", PolicyField::kBase, 0, policy.base,
                      "unknown seccomp base policy " + quoted(policy.base) +
                          " in sandbox.seccomp; use \"default\" (the derived base set) or "
                          "\"off\" (no filter)"});
  }
  if (policy.base == kBaseOff) {
    for (auto [field, list] : {std::pair{PolicyField::kAllow, &policy.allow},
                               std::pair{PolicyField::kDeny, &policy.deny}}) {
      if (list->empty()) continue;
      const std::string key = "sandbox." + std::string(field_name(field));
      errors.push_back({"WSGID3003", field, 0, (*list)[0],
                        key + " has no effect with sandbox.seccomp = \"off\"; remove " + key +
                            " or set seccomp = \"default\""});
    }
    return errors;
  }
  check_list(policy.allow, PolicyField::kAllow, errors);
  check_list(policy.deny, PolicyField::kDeny, errors);
  return errors;
}

std::set<std::string> allowed_syscalls(const Policy& policy) {
  if (policy.base == kBaseOff) return {};
  const std::vector<std::string> base{"@default"};
  std::set<std::string> allowed = resolve(base).syscalls;
  for (const auto& name : resolve(policy.allow).syscalls) allowed.insert(name);
  for (const auto& name : resolve(policy.deny).syscalls) allowed.erase(name);
  return allowed;
}

CompiledFilter compile(const Policy& policy, const CompileOptions& options) {
  CompiledFilter out;
  if (auto errors = validate(policy); !errors.empty()) {
    out.error = std::string(errors.front().code) + ": " + errors.front().message;
    return out;
  }
  if (policy.base == kBaseOff) return out;

  Context ctx(seccomp_init(default_action(policy.action, options)));
  if (!ctx) {
    out.error = failure("seccomp_init", -ENOMEM);
    return out;
  }
  // A call through another ABI (int 0x80, x32) would dodge every rule below.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
      rc < 0) {
    out.error = failure("bad-arch action", rc);
    return out;
  }
  // Binary search over syscall numbers instead of a linear chain; older kernels/libs may lack it.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);

  const std::set<std::string> allowed = allowed_syscalls(policy);
  for (const auto& name : allowed) {
    if (name == "clone" || name == "clone3" || name == "socket") continue;
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr < 0) continue;  // not a syscall on this architecture
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0); rc < 0) {
      out.error = failure("rule for " + quoted(name), rc);
      return out;
    }
  }
  if (int rc = add_clone_rules(ctx.get(), allowed); rc < 0) {
    out.error = failure("rules for clone/clone3", rc);
    return out;
  }
  if (allowed.contains("socket")) {
    if (int rc = add_socket_rules(ctx.get()); rc < 0) {
      out.error = failure("rules for socket families", rc);
      return out;
    }
  }
  if (int rc = add_memfd_rule(ctx.get(), allowed, policy.action); rc < 0) {
    out.error = failure("rule for memfd_create", rc);
    return out;
  }
  if (options.report_via_notify && policy.action != Policy::Action::kErrno) {
    if (int rc = add_reporter_rules(ctx.get(), allowed); rc < 0) {
      out.error = failure("rules for the denial reporter", rc);
      return out;
    }
  }
  if (std::string error = export_program(ctx.get(), out.program); !error.empty()) {
    out.program.clear();
    out.error = std::move(error);
  }
  return out;
}

bool write_filter_file(const std::string& path, std::span<const std::uint8_t> program,
                       std::string& error) {
  const std::string_view bytes(reinterpret_cast<const char*>(program.data()), program.size());
  if (const WriteFailure failed = write_file_atomically(path, bytes, 0644)) {
    error = "WSGID3011: cannot write seccomp filter " + quoted(path) + " (" +
            std::string(failed.step) + "): " + std::strerror(failed.error) +
            "; check that the runtime directory is writable";
    return false;
  }
  return true;
}

}  // namespace wsgid::sandbox
