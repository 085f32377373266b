#include "landlock_scope.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "unique_fd.hpp"

// Debian 12's kernel headers stop at ABI 2; the kernel ABI itself is stable, so the later rights
// and the grown ruleset attribute are spelled out here.
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

namespace wsgid {
namespace {

// struct landlock_ruleset_attr as of ABI 6; the kernel takes its size and accepts a prefix.
struct RulesetAttr {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;  // ABI 4
  std::uint64_t scoped = 0;              // ABI 6
};

constexpr std::uint64_t kReadRights =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
// The rights Landlock accepts on a rule for a file that is not a directory.
constexpr std::uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                      LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                      LANDLOCK_ACCESS_FS_IOCTL_DEV;

std::uint64_t handled_fs_rights(int abi) {
  std::uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: bits 0..12
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5) rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  return rights;
}

long create_ruleset(const RulesetAttr* attr, std::size_t size, std::uint32_t flags) {
  return syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

// False only when the kernel refused a path it could open (a bug in the rights, not the config).
bool add_path(int ruleset, const std::string& path, std::uint64_t rights,
              std::vector<std::string>& missing, std::string& error) {
  const UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
  if (fd.get() < 0) {
    missing.push_back(path);
    return true;
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) {
    missing.push_back(path);
    return true;
  }
  if (!S_ISDIR(st.st_mode)) rights &= kFileRights;
  landlock_path_beneath_attr rule{};
  rule.allowed_access = rights;
  rule.parent_fd = fd.get();
  if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
    error = "landlock_add_rule(" + path + "): " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

int landlock_abi_version() {
  const long abi = create_ruleset(nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

const std::vector<std::string>& landlock_system_read_paths() {
  static const std::vector<std::string> paths{
      // Programs and libraries (on merged-/usr systems the others are links into /usr).
      "/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin",
      // The dynamic loader's cache: dlopen() of a C extension's dependencies reads it.
      "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
      // Names and addresses: getaddrinfo, getpwuid (os.path.expanduser, getpass).
      "/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/nsswitch.conf", "/etc/gai.conf",
      "/etc/services", "/etc/protocols", "/etc/passwd", "/etc/group", "/etc/hostname",
      // TLS trust, time zones, MIME types (mimetypes), locales.
      "/etc/ssl", "/etc/ca-certificates", "/etc/ca-certificates.conf", "/etc/pki", "/etc/localtime",
      "/etc/timezone", "/etc/mime.types", "/etc/locale.alias", "/etc/os-release",
      "/etc/alternatives",
      // Debian's Python configuration (sitecustomize.py).
      "/etc/python3", "/etc/python3.11",
      // This process's own entries; other processes' sensitive ones stay refused (ptrace
      // checks, which Landlock extends to the domain boundary).
      "/proc",
      // CPU counts (os.cpu_count, BLAS libraries).
      "/sys/devices/system/cpu"};
  return paths;
}

const std::vector<std::string>& landlock_device_paths() {
  static const std::vector<std::string> paths{"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                              "/dev/urandom"};
  return paths;
}

bool apply_landlock(const LandlockRules& rules, std::vector<std::string>& missing,
                    std::string& error) {
  const int abi = landlock_abi_version();
  RulesetAttr attr;
  if (rules.filesystem && abi >= kLandlockFilesystemAbi)
    attr.handled_access_fs = handled_fs_rights(abi);
  if (rules.scopes && abi >= kLandlockScopeAbi) {
    attr.scoped = LANDLOCK_SCOPE_SIGNAL | LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
  }
  if (attr.handled_access_fs == 0 && attr.scoped == 0) return true;

  // Older kernels reject an attribute larger than they know unless the extra bytes are zero,
  // which they are whenever the ABI lacks the feature.
  const long ruleset = create_ruleset(&attr, sizeof(attr), 0);
  if (ruleset < 0) {
    error = std::string("landlock_create_ruleset: ") + std::strerror(errno);
    return false;
  }
  const UniqueFd ruleset_fd(static_cast<int>(ruleset));
  if (attr.handled_access_fs != 0) {
    const std::uint64_t all = attr.handled_access_fs;
    for (const std::string& p : rules.read) {
      if (!add_path(ruleset_fd.get(), p, kReadRights, missing, error)) return false;
    }
    for (const std::string& p : rules.write) {
      if (!add_path(ruleset_fd.get(), p, all, missing, error)) return false;
    }
    for (const std::string& p : rules.devices) {
      if (!add_path(ruleset_fd.get(), p, all & kFileRights, missing, error)) return false;
    }
  }
  // Unprivileged processes may only restrict themselves under no_new_privs (a setuid program
  // started later could otherwise be confused by the domain). The seccomp filter sets it too.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    error = std::string("prctl(PR_SET_NO_NEW_PRIVS): ") + std::strerror(errno);
    return false;
  }
  if (syscall(SYS_landlock_restrict_self, ruleset_fd.get(), 0) != 0) {
    error = std::string("landlock_restrict_self: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace wsgid
