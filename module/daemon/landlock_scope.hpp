// A daemon's Landlock domain (docs/sandbox.md, "Landlock"): which files it may still open, and
// that it can neither signal nor reach the abstract sockets of processes outside itself. Set up
// by the daemon before Python starts, while it is single-threaded, so every thread Python
// creates afterwards inherits it. No libc wrapper exists: the calls are made with syscall().
#pragma once

#include <string>
#include <vector>

namespace wsgid {

struct LandlockRules {
  bool filesystem = false;           // restrict opening files to `read`, `write` and `devices`
  bool scopes = false;               // signals and abstract UNIX sockets stay inside the domain
  std::vector<std::string> read;     // read and execute beneath these
  std::vector<std::string> write;    // read, write, create, rename, remove beneath these
  std::vector<std::string> devices;  // device files opened for reading and writing
};

// The running kernel's Landlock ABI version; 0 when Landlock is absent or disabled.
int landlock_abi_version();

// The oldest ABI that has what the rules ask for: 1 for the filesystem, 6 for the scopes.
inline constexpr int kLandlockFilesystemAbi = 1;
inline constexpr int kLandlockScopeAbi = 6;

// What every daemon may read however the group is configured: system libraries and the few
// system files ordinary programs open (name resolution, certificates, time zones, MIME types,
// Debian's Python configuration), /proc and CPU topology. Missing entries are skipped.
const std::vector<std::string>& landlock_system_read_paths();
const std::vector<std::string>& landlock_device_paths();

// Restricts the calling thread and whatever it starts afterwards to `rules`, using what the
// kernel's ABI offers (parts it lacks are left out; the parent reports that once). Paths that
// cannot be opened are skipped and named in `missing`. False, with `error`, when the kernel
// refused the domain: the daemon must not serve unrestricted then.
bool apply_landlock(const LandlockRules& rules, std::vector<std::string>& missing,
                    std::string& error);

}  // namespace wsgid
