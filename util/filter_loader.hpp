// Loads a precompiled seccomp BPF program into the calling process. Plain prctl/seccomp(2):
// the daemon side needs no libseccomp (it is in wsgid_util, which links none).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace wsgid::seccomp {

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

// What a DenialReporter does with a call the filter sent to it (SECCOMP_RET_USER_NOTIF, see
// CompileOptions::report_via_notify).
enum class DenialMode {
  kKill,  // log it, then kill the calling process with SIGSYS
  kLog,   // learning mode: log it (once per syscall) and let it run
};

// load_filter, but also asks the kernel for a listener of the filter's notifications. Returns
// the listener fd, or -1 with `error` set.
int load_filter_with_listener(std::span<const std::uint8_t> program, std::string& error);

// Answers a filter's notifications on a thread of its own, writing one line per denial to
// `log_fd`: "WSGID3031: seccomp denied syscall NAME (NR) in thread T; killing the process" (kill)
// or "WSGID3032: seccomp (learning mode) allowed syscall NAME (NR) ..." (log). Takes ownership
// of `listener_fd`. The thread lives as long as the process.
bool start_denial_reporter(int listener_fd, int log_fd, DenialMode mode, std::string& error);

// The syscall's name on this architecture, or "unknown"; needs no libseccomp.
const char* syscall_name(long nr);

}  // namespace wsgid::seccomp
