// Loads a precompiled seccomp BPF program into the calling process. Plain prctl/seccomp(2):
// the daemon side needs no libseccomp (link wsgid_filter_loader only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace wsgid::sandbox {

// The kernel's limit on one filter (BPF_MAXINSNS).
inline constexpr std::size_t kMaxFilterInstructions = 4096;

// Reads and checks a filter file: non-empty, a whole number of struct sock_filter, at most
// kMaxFilterInstructions. Returns false and sets `error` (a WSGID30xx message) otherwise.
bool read_filter_file(const std::string& path, std::vector<std::uint8_t>& program,
                      std::string& error);

// Sets PR_SET_NO_NEW_PRIVS and installs `program` for every thread of the process
// (SECCOMP_FILTER_FLAG_TSYNC). Returns false and sets `error` on any failure; the caller must
// then refuse to serve (no fallback to running unsandboxed).
bool load_filter(std::span<const std::uint8_t> program, std::string& error);

// read_filter_file + load_filter.
bool load_filter_file(const std::string& path, std::string& error);

// For filters compiled with CompileOptions::kill_via_trap: installs a SIGSYS handler that writes
// "WSGID3030: seccomp denied syscall <nr> (arch 0x...); killing the process" to `log_fd`
// (async-signal-safe) and then kills the process with SIGSYS. Call before load_filter.
bool install_sigsys_reporter(int log_fd, std::string& error);

}  // namespace wsgid::sandbox
