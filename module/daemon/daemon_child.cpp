#include "daemon_child.hpp"

#include <apr_strings.h>
#include <apr_portable.h>
#include <http_log.h>

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "daemon_exec.hpp"
#include "env_file.hpp"
#include "inherited_memory.hpp"
#include "landlock_scope.hpp"
#include "log.hpp"
#include "malloc_arenas.hpp"
#include "parent/scoreboard.hpp"
#include "process_title.hpp"
#include "python_library.hpp"
#include "seccomp_filter.hpp"

namespace wsgid {
namespace {

std::int64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

[[noreturn]] void startup_failure(server_rec* s, apr_status_t status, const char* code,
                                  const char* what, const DaemonGroup& g) {
  log_server(s, APLOG_CRIT, status, code, "daemon group '%s' (pid %d) cannot start: %s", g.name,
             static_cast<int>(getpid()), what);
  if (g.slot != nullptr) {
    const std::string cause = std::string(code) + ": " + what;
    wsgid_record_startup_failure(g.slot, cause.data(), cause.size(), realtime_us());
  }
  _exit(WSGID_EXIT_STARTUP_FAILURE);
}

// The newest modification time of the scripts a start loads, in CLOCK_REALTIME microseconds
// (0 if none can be read).
std::int64_t newest_script_change(const std::vector<wsgid_preload>& preloads) {
  std::int64_t newest = 0;
  for (const wsgid_preload& p : preloads) {
    struct stat st {};
    if (p.script_path == nullptr || stat(p.script_path, &st) != 0) continue;
    // ctime too: a file replaced by rename keeps an old mtime but gets a new ctime.
    for (const timespec& t : {st.st_mtim, st.st_ctim}) {
      newest = std::max(newest, std::int64_t{t.tv_sec} * 1'000'000 + t.tv_nsec / 1000);
    }
  }
  return newest;
}

// Back-off after failed starts, taken in the child so the httpd parent never blocks. A script
// changed since the last failure (someone fixed it) ends the wait at once: the site recovers
// as soon as the file is saved, not after up to 30 s. Polled, not inotify: a few stat() calls
// five times a second, for a process that has nothing else to do.
void wait_out_backoff(server_rec* s, const DaemonGroup& g, int seconds,
                      const std::vector<wsgid_preload>& preloads) {
  const std::int64_t failed_at =
      g.slot ? __atomic_load_n(&g.slot->startup_failed_at_us, __ATOMIC_ACQUIRE) : 0;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const std::int64_t deadline_ms =
      std::int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000 + std::int64_t{seconds} * 1000;
  for (;;) {
    if (failed_at != 0 && newest_script_change(preloads) > failed_at) {
      log_server(s, APLOG_NOTICE, 0, "WSGID0231",
                 "daemon group '%s' (pid %d): a script changed since the last failed start; "
                 "starting now instead of after the %d s back-off",
                 g.name, static_cast<int>(getpid()), seconds);
      return;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    const std::int64_t left =
        deadline_ms - (std::int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000);
    if (left <= 0) return;
    const std::int64_t step = std::min<std::int64_t>(left, 200);
    timespec delay{static_cast<time_t>(step / 1000), static_cast<long>(step % 1000) * 1'000'000};
    while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
    }
  }
}

// Drawn in the forked daemon, so each process of a group (and each replacement) gets its own
// limit in [maximum, maximum + jitter]: processes started together then do not all drain at
// once. Without the kernel's randomness the draw falls back to the pid, still distinct.
long maximum_requests_for_this_process(const DaemonGroup& g) {
  if (g.maximum_requests <= 0 || g.maximum_requests_jitter <= 0) return g.maximum_requests;
  std::uint64_t random = 0;
  if (getrandom(&random, sizeof random, GRND_NONBLOCK) != sizeof random) {
    random = static_cast<std::uint64_t>(getpid()) * 2654435761U;
  }
  const auto span = static_cast<std::uint64_t>(g.maximum_requests_jitter) + 1;
  const auto extra = static_cast<long>(random % span);
  return g.maximum_requests > LONG_MAX - extra ? LONG_MAX : g.maximum_requests + extra;
}

void reset_signals() {
  // httpd's parent handlers must not run here; the Python side owns these via signalfd.
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGALRM, SIGCHLD, SIGWINCH, SIGXCPU, SIGXFSZ}) {
    signal(sig, SIG_DFL);
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGUSR1, SIGHUP, SIGINT}) sigaddset(&set, sig);
  // Blocked until the daemon loop takes them, so a stop that arrives during start-up is kept
  // pending instead of killing a half-initialised interpreter.
  sigprocmask(SIG_SETMASK, &set, nullptr);
  signal(SIGTERM, SIG_DFL);
  signal(SIGUSR1, SIG_DFL);
}

// Keeps only stdin/stdout/stderr, the group's socket and (for wsgid-daemon) the scoreboard's
// memfd: httpd's listeners, other groups' sockets and every other VirtualHost's log stay out of
// this process.
void close_inherited_fds(int keep, int keep_too) {
  std::vector<int> fds;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      const int fd = std::atoi(e->d_name);
      if (fd > 2 && fd != keep && fd != keep_too && fd != dirfd(d)) fds.push_back(fd);
    }
    closedir(d);
  }
  for (int fd : fds) close(fd);
}

// Before anything of the application can run: of the shared memory inherited from httpd's
// parent (its scoreboard, mod_ssl's session cache, wsgid's scoreboard, ...) only this group's
// scoreboard slot stays (inherited_memory.hpp). Without /proc to say what is mapped the daemon
// does not start: its application could read other sites' TLS sessions and rewrite the state
// workers serve other sites by.
void release_shared_memory(server_rec* s, const DaemonGroup& g) {
  const MemoryRelease r =
      release_inherited_shared_memory(g.slot, g.slot ? sizeof(wsgid_group_slot) : 0);
  if (!r.error.empty()) {
    startup_failure(s, 0, "WSGID0209",
                    apr_psprintf(s->process->pool,
                                 "cannot release the shared memory inherited from httpd (%s); "
                                 "it holds other sites' state. Mount /proc for the daemon",
                                 r.error.c_str()),
                    g);
  }
  log_server(s, APLOG_DEBUG, 0, "WSGID0214",
             "daemon group '%s' (pid %d) released %d shared mappings (%zu KiB) inherited from "
             "httpd, keeping its own scoreboard slot",
             g.name, static_cast<int>(getpid()), r.released, r.bytes / 1024);
}

void redirect_logs(server_rec* s, const DaemonGroup& g) {
  apr_file_t* log = g.server->error_log ? g.server->error_log : s->error_log;
  apr_os_file_t fd = -1;
  if (log && apr_os_file_get(&fd, log) == APR_SUCCESS && fd >= 0) {
    if (fd != STDERR_FILENO) dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd >= 0) {
    dup2(null_fd, STDIN_FILENO);
    close(null_fd);
  }
}

// When the error log is a pipe (a piped logger, or a container's stdout), a reader that falls
// behind fills it and every write blocks. The Python side writes its lines with the GIL held,
// so one flooding thread would stall the daemon: it gets a non-blocking open of the same pipe
// instead. Opened through /proc while still root (the pipe belongs to httpd's parent); a
// regular file never blocks for long and is written through fd 2 as before. -1: use fd 2.
int open_nonblocking_log() {
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0 || !S_ISFIFO(st.st_mode)) return -1;
  return open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
}

// chroot= happens here, between looking up the user's groups (which reads /etc/group outside
// the jail) and dropping root (chroot needs it).
void switch_identity(server_rec* s, const DaemonGroup& g) {
  if (geteuid() != 0) {
    // httpd was not started as root: nothing to switch, and no right to chroot.
    if (g.chroot) {
      startup_failure(
          s, 0, "WSGID0207",
          apr_psprintf(s->process->pool, "chroot=%s needs httpd to be started as root", g.chroot),
          g);
    }
    return;
  }
  if (g.uid == 0) startup_failure(s, 0, "WSGID0203", "it would run as root; set user=", g);
  // A uid without a passwd entry (the launcher's per-site uids) has no supplementary groups:
  // only its own gid, never another user's groups.
  const passwd* pw = getpwuid(g.uid);
  int count = pw ? 32 : 0;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  if (pw && getgrouplist(pw->pw_name, g.gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<std::size_t>(count));
    if (getgrouplist(pw->pw_name, g.gid, groups.data(), &count) < 0) count = 0;
  }
  groups.resize(static_cast<std::size_t>(count));
  if (groups.empty()) groups.push_back(g.gid);
  if (g.chroot && (chroot(g.chroot) != 0 || chdir("/") != 0)) {
    startup_failure(s, errno, "WSGID0207",
                    apr_psprintf(s->process->pool, "cannot chroot to %s", g.chroot), g);
  }
  if (setgroups(groups.size(), groups.data()) != 0 || setgid(g.gid) != 0 || setuid(g.uid) != 0) {
    startup_failure(s, errno, "WSGID0203", "cannot switch to the configured user and group", g);
  }
  if (setuid(0) == 0) startup_failure(s, 0, "WSGID0203", "root privileges could be regained", g);
}

// cpu-priority= before dropping root, so that a negative (higher) priority can be given.
void set_priority(server_rec* s, const DaemonGroup& g) {
  if (!g.cpu_priority_set) return;
  if (setpriority(PRIO_PROCESS, 0, g.cpu_priority) != 0) {
    log_server(s, APLOG_WARNING, errno, "WSGID0208",
               "daemon group '%s' (pid %d) cannot set cpu-priority=%d; it keeps the priority "
               "it inherited",
               g.name, static_cast<int>(getpid()), g.cpu_priority);
  }
}

// The worker names scripts as httpd sees them; inside the jail they are below its root.
const char* path_in_chroot(const DaemonGroup& g, const char* path) {
  if (!g.chroot || !path || std::strcmp(g.chroot, "/") == 0) return path;
  const std::size_t n = std::strlen(g.chroot);
  return std::strncmp(path, g.chroot, n) == 0 && path[n] == '/' ? path + n : path;
}

// After chroot=, home= and the user's home directory are paths inside the jail.
void change_directory(server_rec* s, const DaemonGroup& g) {
  if (g.home) {
    if (chdir(g.home) != 0) {
      startup_failure(s, errno, "WSGID0204",
                      apr_psprintf(s->process->pool, "cannot change to home=%s", g.home), g);
    }
    return;
  }
  const passwd* pw = getpwuid(geteuid());
  if (!pw || chdir(pw->pw_dir) != 0) {
    if (chdir("/") != 0) startup_failure(s, errno, "WSGID0204", "cannot change to /", g);
  }
}

const wsgid_python_api* load_python_or_exit(server_rec* s, const DaemonGroup& g) {
  std::string error;
  const wsgid_python_api* api = wsgid::load_python_api(error);
  if (!api) startup_failure(s, 0, "WSGID0205", apr_pstrdup(s->process->pool, error.c_str()), g);
  return api;
}

template <typename T>
std::vector<T> to_vector(const apr_array_header_t* a) {
  if (!a) return {};
  const T* e = reinterpret_cast<const T*>(a->elts);
  return std::vector<T>(e, e + a->nelts);
}

// The installation libpython was loaded from: its lib/ directory's parent (/usr for Debian's,
// the prefix of a build in /opt or a pyenv). The standard library is found below it.
std::string python_prefix() {
  Dl_info info{};
  void* symbol = dlsym(RTLD_DEFAULT, "Py_Initialize");
  if (!symbol || dladdr(symbol, &info) == 0 || !info.dli_fname) return {};
  const std::string lib(info.dli_fname);
  const std::size_t at = lib.rfind("/lib/");
  return at == std::string::npos || at == 0 ? std::string() : lib.substr(0, at);
}

void append_paths(std::vector<std::string>& into, const apr_array_header_t* paths,
                  const DaemonGroup& g) {
  for (const char* p : to_vector<const char*>(paths)) into.emplace_back(path_in_chroot(g, p));
}

// A daemon whose files are scoped and that was given no TMPDIR would find no writable temporary
// directory (tempfile, Django's uploads) once shared /tmp is out of reach. It gets its group's
// own instead: /tmp/wsgid-UID-GROUP, mode 0700, reused across restarts, refused when someone
// else made it. A TMPDIR set for the daemon (the launcher's per-site one) always wins.
void give_private_tmpdir(server_rec* s, const DaemonGroup& g) {
  if (g.sandbox_filesystem == FilesystemScope::kOff || std::getenv("TMPDIR") != nullptr) return;
  const std::string dir =
      "/tmp/wsgid-" + std::to_string(static_cast<long>(geteuid())) + "-" + g.name;
  struct stat st {};
  const bool made = mkdir(dir.c_str(), 0700) == 0;
  if (!made && (errno != EEXIST || lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
                st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
    log_server(s, APLOG_WARNING, errno, "WSGID0553",
               "daemon group '%s' (pid %d): no private temporary directory: %s cannot be made, "
               "or is not a 0700 directory of uid %ld; the app has no writable temporary "
               "directory: set TMPDIR for it or name one in sandbox-write=",
               g.name, static_cast<int>(getpid()), dir.c_str(), static_cast<long>(geteuid()));
    return;
  }
  setenv("TMPDIR", dir.c_str(), 1);
}

// What this daemon may open once Landlock restricts it (docs/sandbox.md, "Landlock"). Built
// after chroot= and the identity switch, so every path is as the daemon sees it.
LandlockRules landlock_rules(const server_rec* s, const DaemonGroup& g,
                             const std::vector<wsgid_preload>& preloads) {
  LandlockRules rules;
  rules.filesystem = g.sandbox_filesystem == FilesystemScope::kOn;
  rules.scopes = g.sandbox_scopes;
  rules.read = landlock_system_read_paths();
  if (const std::string prefix = python_prefix(); !prefix.empty()) rules.read.push_back(prefix);
  if (g.python_home) rules.read.emplace_back(g.python_home);
  append_paths(rules.read, g.python_path, g);
  // home= is the application's working directory by the user's own choice; "/" would grant all.
  if (g.home && std::strcmp(g.home, "/") != 0) rules.read.emplace_back(g.home);
  // The scripts themselves, not their directories: a generated script lives beside other
  // sites' files in the runtime directory.
  for (const wsgid_preload& p : preloads) rules.read.emplace_back(p.script_path);
  for (const server_rec* v = s; v; v = v->next) {
    const auto* sc =
        static_cast<const ServerConfig*>(ap_get_module_config(v->module_config, &wsgid_module));
    for (const ScriptAlias& a : to_vector<ScriptAlias>(sc ? sc->aliases : nullptr)) {
      if (!a.regex && a.process_group && std::strcmp(a.process_group, g.name) == 0) {
        rules.read.emplace_back(path_in_chroot(g, a.application));
      }
    }
  }
  append_paths(rules.read, g.sandbox_read, g);
  if (const char* tmp = std::getenv("TMPDIR"); tmp && tmp[0] == '/' && std::strcmp(tmp, "/") != 0) {
    rules.write.emplace_back(tmp);
  }
  append_paths(rules.write, g.sandbox_write, g);
  rules.devices = landlock_device_paths();
  return rules;
}

// Before Python starts any thread: a Landlock domain covers the thread that creates it and what
// that thread starts afterwards, never threads that already run.
void restrict_with_landlock(server_rec* s, const DaemonGroup& g, const LandlockRules& rules) {
  std::vector<std::string> missing;
  std::string error;
  if (!apply_landlock(rules, missing, error)) {
    startup_failure(
        s, 0, "WSGID0550",
        apr_psprintf(s->process->pool, "the Landlock sandbox cannot be applied: %s", error.c_str()),
        g);
  }
  if (!rules.filesystem) return;
  // Only paths the configuration named deserve a word; system ones differ between systems.
  std::vector<std::string> named;
  append_paths(named, g.sandbox_read, g);
  append_paths(named, g.sandbox_write, g);
  for (const std::string& m : missing) {
    if (std::find(named.begin(), named.end(), m) == named.end()) continue;
    log_server(s, APLOG_WARNING, 0, "WSGID0551",
               "daemon group '%s' (pid %d): sandbox-read/sandbox-write path %s cannot be opened; "
               "the daemon runs without it, so what lies there stays refused: create it or "
               "remove it from the list",
               g.name, static_cast<int>(getpid()), m.c_str());
  }
}

std::vector<char*> helper_argv(const server_rec* s, const DaemonGroup& g) {
  std::vector<char*> argv;
  if (g.display_name) {
    argv.push_back(const_cast<char*>(g.display_name));
  } else {
    for (int i = 0; i < s->process->argc && s->process->argv[i]; ++i) {
      argv.push_back(const_cast<char*>(s->process->argv[i]));
    }
  }
  argv.push_back(nullptr);
  return argv;
}

[[noreturn]] void exec_helper(server_rec* s, const DaemonGroup& g, const wsgid_daemon_spec& spec,
                              const SeccompFilter& filter, const wsgid_process_slot* shared_slot) {
  SpecExtras extras;
  extras.seccomp_program = filter.program();
  extras.seccomp_path = filter.path();
  extras.seccomp_learning = filter.learning();
  extras.python_library = python_library_path();
  extras.scoreboard_fd = scoreboard_fd(s->process);
  const auto* board = reinterpret_cast<const char*>(scoreboard(s->process));
  if (board != nullptr && g.slot != nullptr) {
    const auto* group = reinterpret_cast<const char*>(g.slot);
    extras.group_slot_offset = static_cast<std::uint64_t>(group - board);
    if (shared_slot != nullptr) {
      extras.process_slot_offset =
          static_cast<std::uint64_t>(reinterpret_cast<const char*>(shared_slot) - group);
    }
  }
  const std::vector<char*> argv = helper_argv(s, g);
  const std::string why = exec_daemon_helper(daemon_helper_path(), argv.data(), spec, extras);
  startup_failure(s, 0, "WSGID0217",
                  apr_psprintf(s->process->pool,
                               "%s; it runs the application outside httpd's memory. Install "
                               "wsgid-daemon beside mod_wsgid.so, from the same build",
                               why.c_str()),
                  g);
}

}  // namespace

bool daemon_execs_helper(const DaemonGroup& g) {
  return g.chroot == nullptr && global_config().lazy_initialization != 0;
}

void run_daemon_child(server_rec* s, DaemonGroup& g, wsgid_process_slot* shared_slot,
                      int startup_delay_seconds, uid_t worker_uid) {
  reset_signals();
  set_process_title(s->process, g.display_name);
  redirect_logs(s, g);
  const bool exec = daemon_execs_helper(g);
  close_inherited_fds(g.listen_fd, exec ? scoreboard_fd(s->process) : -1);
  release_shared_memory(s, g);
  const int log_fd = open_nonblocking_log();
  if (g.umask != kUnset) umask(static_cast<mode_t>(g.umask));
  // First, so every failure below (the seccomp file, wsgid_python.so, the identity) is retried
  // with back-off too, not at once. Paths outside any chroot: it is not entered yet.
  std::vector<wsgid_preload> preloads = to_vector<wsgid_preload>(g.imports);
  for (const wsgid_preload& p : to_vector<wsgid_preload>(g.preloads)) preloads.push_back(p);
  if (startup_delay_seconds > 0) wait_out_backoff(s, g, startup_delay_seconds, preloads);

  // The environment and the filter are read while we may still read root-only files. The
  // environment is set before Python starts, so os.environ has it from the first import.
  if (g.env_file) {
    std::string error;
    if (const char* code = apply_env_file(g.env_file, geteuid(), error)) {
      startup_failure(s, 0, code, apr_pstrdup(s->process->pool, error.c_str()), g);
    }
  }
  SeccompFilter filter;
  if (g.seccomp_filter) {
    std::string error;
    if (!filter.load_file(g.seccomp_filter, g.seccomp_learning, error)) {
      startup_failure(s, 0, "WSGID0206", error.c_str(), g);
    }
  }

  set_priority(s, g);
  // Loaded before chroot= so neither it nor libpython need to exist inside the jail.
  const wsgid_python_api* api = load_python_or_exit(s, g);

  const pid_t parent = getppid();
  switch_identity(s, g);
  // Not dumpable: its /proc entries (fd/, environ, mem, maps) then belong to root, so another
  // process of the same uid (another site's app, in the one-uid container) cannot read them.
  // setuid() does this already when httpd started as root; without root nothing else would.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // An httpd parent killed outright must not leave daemons holding the socket forever.
  prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
  if (getppid() != parent) _exit(0);
  change_directory(s, g);

  const std::vector<const char*> python_path = to_vector<const char*>(g.python_path);
  for (wsgid_preload& p : preloads) p.script_path = path_in_chroot(g, p.script_path);
  give_private_tmpdir(s, g);
  LandlockRules rules = landlock_rules(s, g, preloads);
  if (exec) {
    // Executed and loaded after the domain exists; outside /usr only in a build tree.
    rules.read.push_back(daemon_helper_path());
    rules.read.push_back(python_library_path());
  }
  restrict_with_landlock(s, g, rules);
  // Learning mode: what the enforced scope would grant, for the Python side's audit hook.
  std::vector<const char*> learn_read;
  std::vector<const char*> learn_write;
  if (g.sandbox_filesystem == FilesystemScope::kLog) {
    for (const std::string& p : rules.read) learn_read.push_back(p.c_str());
    for (const std::string& p : rules.write) learn_write.push_back(p.c_str());
    for (const std::string& p : rules.devices) learn_write.push_back(p.c_str());
  }
  std::vector<uid_t> peers{worker_uid, 0};
  if (geteuid() != worker_uid) peers.push_back(geteuid());

  wsgid_daemon_spec spec{};
  spec.abi_version = WSGID_PYTHON_ABI_VERSION;
  spec.group_name = g.name;
  spec.listen_fd = g.listen_fd;
  spec.processes = g.processes;
  spec.threads = g.threads;
  spec.multiprocess_option = g.multiprocess_option ? 1 : 0;
  spec.maximum_requests = maximum_requests_for_this_process(g);
  spec.graceful_timeout = g.graceful_timeout;
  spec.shutdown_timeout = g.shutdown_timeout;
  spec.socket_timeout =
      g.socket_timeout > 0 ? g.socket_timeout : static_cast<double>(apr_time_sec(s->timeout));
  spec.request_timeout = g.request_timeout;
  spec.inactivity_timeout = g.inactivity_timeout;
  spec.queue_timeout = g.queue_timeout;
  spec.python_home = g.python_home;
  spec.python_path = python_path.data();
  spec.python_path_count = python_path.size();
  spec.lang = g.lang;
  spec.locale = g.locale;
  spec.allowed_peer_uids = peers.data();
  spec.allowed_peer_uid_count = peers.size();
  spec.connection_secret = g.credential ? g.credential->secret : nullptr;
  spec.peer_parent_pid = parent;  // workers are httpd's children too
  spec.preload = preloads.data();
  spec.preload_count = preloads.size();
  spec.process_slot = shared_slot;
  spec.group_slot = g.slot;
  spec.log_level = g.server->log.level;
  spec.log_fd = log_fd;
  spec.cpu_time_limit = g.cpu_time_limit;
  spec.memory_limit = static_cast<std::uint64_t>(g.memory_limit);
  spec.restart_interval = g.restart_interval;
  spec.startup_timeout = g.startup_timeout;
  spec.deadlock_timeout = g.deadlock_timeout;
  spec.stack_size = static_cast<std::size_t>(g.stack_size);
  spec.chroot = g.chroot;
  spec.fs_learning = g.sandbox_filesystem == FilesystemScope::kLog ? 1 : 0;
  spec.fs_read = learn_read.data();
  spec.fs_read_count = learn_read.size();
  spec.fs_write = learn_write.data();
  spec.fs_write_count = learn_write.size();
  std::vector<const char*> warn_options;
  set_python_settings(spec, warn_options);
  if (exec) exec_helper(s, g, spec, filter, shared_slot);
  // Staying in the fork: the filter is applied through the callback, the slots are mapped.
  if (filter.loaded()) {
    spec.apply_sandbox = &SeccompFilter::apply_callback;
    spec.sandbox_ctx = &filter;
  }
  limit_malloc_arenas();
  const int rc = api->daemon_main(&spec);
  _exit(rc);
}

}  // namespace wsgid
