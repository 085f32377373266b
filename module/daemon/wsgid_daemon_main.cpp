// wsgid-daemon: what a forked daemon execs (daemon_exec.hpp), so that no application runs in a
// copy of httpd's memory. It reads the spec the daemon wrote, maps its group's scoreboard slot,
// loads wsgid_python.so and runs the daemon. Everything that needs root or httpd's
// configuration (identity, chroot-free paths, Landlock, env-file=, the seccomp file) was done
// before the exec; this program links neither httpd nor Python.
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "daemon_exec.hpp"
#include "malloc_arenas.hpp"
#include "python_api_loader.hpp"
#include "read_all.hpp"
#include "seccomp_filter.hpp"
#include "spec_transfer.hpp"

namespace {

wsgid_group_slot* g_group_slot = nullptr;
const char* g_group_name = "?";

// httpd's error-log layout, as the Python side writes it (module/python/error_log.cpp).
void log_crit(const char* code, const std::string& message) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm local{};
  localtime_r(&now.tv_sec, &local);
  char day_time[32];
  strftime(day_time, sizeof day_time, "%a %b %d %H:%M:%S", &local);
  std::fprintf(stderr, "[%s.%06ld %d] [wsgid:crit] [pid %d] %s: %s\n", day_time, now.tv_nsec / 1000,
               local.tm_year + 1900, static_cast<int>(getpid()), code, message.c_str());
  std::fflush(stderr);
}

[[noreturn]] void startup_failure(const char* code, const std::string& what) {
  log_crit(code, "daemon group '" + std::string(g_group_name) + "' (pid " +
                     std::to_string(getpid()) + ") cannot start: " + what);
  if (g_group_slot != nullptr) {
    const std::string cause = std::string(code) + ": " + what;
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    wsgid_record_startup_failure(g_group_slot, cause.data(), cause.size(),
                                 std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000);
  }
  _exit(WSGID_EXIT_STARTUP_FAILURE);
}

std::string read_spec() {
  const char* text = std::getenv(wsgid::kDaemonSpecFdVariable);
  const int fd = text ? std::atoi(text) : -1;
  unsetenv(wsgid::kDaemonSpecFdVariable);
  if (fd <= 2) {
    startup_failure("WSGID0218", std::string("no spec descriptor in ") +
                                     wsgid::kDaemonSpecFdVariable +
                                     ": wsgid-daemon is started by mod_wsgid.so, not by hand");
  }
  std::string bytes;
  const int error = wsgid::read_all(fd, bytes);
  close(fd);
  if (error != 0)
    startup_failure("WSGID0218", std::string("cannot read the spec: ") + strerror(error));
  return bytes;
}

// Only the group's own slot: the rest of the scoreboard is other sites' state.
void map_slots(wsgid_daemon_spec& spec, const wsgid::SpecExtras& extras) {
  if (extras.scoreboard_fd < 0) return;
  if (extras.group_slot_offset != wsgid::SpecExtras::kNoSlot) {
    void* mem = mmap(nullptr, sizeof(wsgid_group_slot), PROT_READ | PROT_WRITE, MAP_SHARED,
                     extras.scoreboard_fd, static_cast<off_t>(extras.group_slot_offset));
    if (mem == MAP_FAILED) {
      startup_failure("WSGID0218",
                      std::string("cannot map its scoreboard slot: ") + strerror(errno));
    }
    g_group_slot = spec.group_slot = static_cast<wsgid_group_slot*>(mem);
    if (extras.process_slot_offset != wsgid::SpecExtras::kNoSlot &&
        extras.process_slot_offset + sizeof(wsgid_process_slot) <= sizeof(wsgid_group_slot)) {
      spec.process_slot = reinterpret_cast<wsgid_process_slot*>(static_cast<char*>(mem) +
                                                                extras.process_slot_offset);
    }
  }
  close(extras.scoreboard_fd);
}

}  // namespace

int main(int, char** argv) {
  // First: until now the kernel made this image dumpable again (execve does), and its /proc
  // entries readable by the same uid. Landlock's ptrace scope covered the gap.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // The comm the forked daemon had (display-name, or httpd's), not "wsgid-daemon".
  if (argv[0] != nullptr) {
    const char* base = std::strrchr(argv[0], '/');
    prctl(PR_SET_NAME, base ? base + 1 : argv[0], 0, 0, 0);
  }
  wsgid::DecodedSpec decoded;
  std::string error;
  if (!decoded.decode(read_spec(), error)) startup_failure("WSGID0218", "bad spec: " + error);
  wsgid_daemon_spec& spec = decoded.spec();
  const wsgid::SpecExtras& extras = decoded.extras();
  g_group_name = spec.group_name ? spec.group_name : "?";
  map_slots(spec, extras);
  // The parent-death signal survives execve; a parent that died before it was set is caught
  // here (the forked daemon checked the same before the exec).
  if (spec.peer_parent_pid != 0 && getppid() != spec.peer_parent_pid) _exit(0);

  wsgid::limit_malloc_arenas();
  wsgid::SeccompFilter filter;
  if (!extras.seccomp_program.empty()) {
    filter.set_program(extras.seccomp_program, extras.seccomp_path, extras.seccomp_learning);
    spec.apply_sandbox = &wsgid::SeccompFilter::apply_callback;
    spec.sandbox_ctx = &filter;
  }
  const wsgid_python_api* api = wsgid::load_python_api_at(extras.python_library, error);
  if (api == nullptr) startup_failure("WSGID0205", error);
  _exit(api->daemon_main(&spec));
}
