#include "daemon_lifecycle.hpp"

#include <ap_mpm.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_log.h>
#include <mpm_common.h>
#include <unixd.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "config/config.hpp"
#include "daemon/daemon_child.hpp"
#include "config/daemon_settings.hpp"
#include "daemon_socket.hpp"
#include "group_credential.hpp"
#include "daemon/landlock_scope.hpp"
#include "log.hpp"
#include "scoreboard.hpp"

namespace wsgid {
namespace {

// Survives configuration reloads (it lives in the process pool, which httpd keeps for its whole
// life), so a graceful restart can hand each group's socket, with its backlog, to the next
// generation of daemons and still reap the previous generation as it drains. Only plain data
// here: the module's code is unloaded and reloaded on restart.
struct SocketEntry {
  const char* group;
  const char* path;
  int fd;
  uid_t owner;
  bool in_use;
  // Made with the socket and kept with it, so that after a graceful restart the new
  // generation's workers and the old generation's daemons still agree. Its own block: the
  // entries array may move, and a moved copy would leave the secret behind unwiped.
  GroupCredential* credential;
  pid_t listener;  // this process, which called listen()
};

// The socket goes: so does its secret, from this process's memory.
void forget_socket(SocketEntry& e) {
  close(e.fd);
  unlink(e.path);
  wipe_credential(*e.credential);
}

// A daemon that no longer serves but has not exited yet: a previous generation's, or one that
// began to drain on its own account and was replaced.
struct DrainingDaemon {
  pid_t pid;
  wsgid_group_slot* group;
  wsgid_process_slot* process;
  // When it is killed if still there (0: never): its own drain ends at graceful-timeout, so
  // only a process whose application keeps it from exiting is still there kDrainSlack later.
  apr_time_t deadline;
};

// Beyond graceful-timeout, before a draining daemon is killed. httpd runs the monitor hook that
// looks every ten seconds, so the kill comes 10-20 s after graceful-timeout.
constexpr apr_interval_time_t kDrainSlack = apr_time_from_sec(10);

apr_time_t drain_deadline(const DaemonGroup& g) {
  return g.graceful_timeout > 0
             ? apr_time_now() + apr_time_from_sec(g.graceful_timeout) + kDrainSlack
             : 0;
}

struct Registry {
  apr_pool_t* pool;
  apr_array_header_t* sockets;   // SocketEntry
  apr_array_header_t* draining;  // DrainingDaemon
  int next_socket_id;
};

Registry* registry(process_rec* process) {
  void* data = nullptr;
  apr_pool_userdata_get(&data, "wsgid.registry", process->pool);
  if (data) return static_cast<Registry*>(data);
  auto* r = static_cast<Registry*>(apr_pcalloc(process->pool, sizeof(Registry)));
  r->pool = process->pool;
  r->sockets = apr_array_make(process->pool, 4, sizeof(SocketEntry));
  r->draining = apr_array_make(process->pool, 4, sizeof(DrainingDaemon));
  apr_pool_userdata_set(r, "wsgid.registry", apr_pool_cleanup_null, process->pool);
  return r;
}

struct DaemonSlot {
  DaemonGroup* group;
  int index;
  apr_proc_t proc;
  bool running;
  int startup_failures;
  wsgid_process_slot* shared;  // this process's scoreboard slot, or nullptr
  bool replacement_deferred;   // WSGID0216 said for this process, once
};

struct Generation {
  apr_pool_t* pconf;
  server_rec* server;
  Registry* registry;
  apr_array_header_t* slots;  // DaemonSlot*
  uid_t worker_uid;
  bool stopping;
};

Generation* g_generation = nullptr;

bool httpd_stopping() {
  if (g_generation && g_generation->stopping) return true;
  int state = 0;
  return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS && state == AP_MPMQ_STOPPING;
}

int backoff_seconds(int failures) {
  if (failures <= 0) return 0;
  return std::min(1 << std::min(failures - 1, 5), 30);
}

void spawn(DaemonSlot* slot);

// In a freshly forked daemon: every other group's secret leaves its memory, so its app cannot
// read one and talk to another group's daemons.
void forget_other_credentials(Registry* reg, const GroupCredential* keep) {
  auto* sockets = reinterpret_cast<SocketEntry*>(reg->sockets->elts);
  for (int i = 0; i < reg->sockets->nelts; ++i) {
    if (sockets[i].credential != keep) wipe_credential(*sockets[i].credential);
  }
}

void daemon_maintenance(int reason, void* data, int status) {
  auto* slot = static_cast<DaemonSlot*>(data);
  switch (reason) {
    case APR_OC_REASON_DEATH:
    case APR_OC_REASON_LOST: {
      apr_proc_other_child_unregister(data);
      slot->running = false;
      release_process_slot(slot->group->slot, slot->shared, status);
      slot->shared = nullptr;
      if (httpd_stopping()) return;
      const bool startup_failed =
          reason == APR_OC_REASON_DEATH && status == WSGID_EXIT_STARTUP_FAILURE;
      slot->startup_failures = startup_failed ? slot->startup_failures + 1 : 0;
      if (reason == APR_OC_REASON_DEATH && status == WSGID_EXIT_FDS_LOST) {
        log_server(g_generation->server, APLOG_ERR, 0, "WSGID0232",
                   "daemon process %d of group '%s' (pid %d) exited because its application "
                   "closed the daemon's own descriptors (see WSGID0562); starting a replacement",
                   slot->index + 1, slot->group->name, static_cast<int>(slot->proc.pid));
        spawn(slot);
        break;
      }
      const int level = status == 0 ? APLOG_INFO : APLOG_ERR;
      log_server(g_generation->server, level, 0, status == 0 ? "WSGID0210" : "WSGID0211",
                 "daemon process %d of group '%s' (pid %d) exited (status %d)%s; starting a "
                 "replacement%s",
                 slot->index + 1, slot->group->name, static_cast<int>(slot->proc.pid), status,
                 startup_failed ? " during start-up" : "",
                 startup_failed ? apr_psprintf(g_generation->pconf, " in %d s",
                                               backoff_seconds(slot->startup_failures))
                                : "");
      spawn(slot);
      break;
    }
    default:
      break;
  }
}

void spawn(DaemonSlot* slot) {
  Generation* gen = g_generation;
  const int delay = backoff_seconds(slot->startup_failures);
  // A reload that changed only what the daemons read: this fork is the first to have it.
  refresh_daemon_settings(*slot->group);
  slot->shared = claim_process_slot(slot->group->slot, slot->group->threads);
  // A drain or stop signal that reaches the child before run_daemon_child has reset httpd's
  // handlers would run httpd's handler in the child and be lost (a daemon that then never
  // drains, seen with back-to-back graceful restarts on a busy machine). Blocked across the
  // fork, it stays pending until the daemon loop takes it.
  sigset_t control, saved;
  sigemptyset(&control);
  for (int sig : {SIGTERM, SIGUSR1, SIGHUP, SIGINT}) sigaddset(&control, sig);
  sigprocmask(SIG_BLOCK, &control, &saved);
  const apr_status_t rv = apr_proc_fork(&slot->proc, gen->pconf);
  if (rv == APR_INCHILD) {
    forget_other_credentials(gen->registry, slot->group->credential);
    run_daemon_child(gen->server, *slot->group, slot->shared, delay, gen->worker_uid);
  }
  sigprocmask(SIG_SETMASK, &saved, nullptr);
  if (slot->shared) store(slot->shared->pid, slot->proc.pid);
  if (rv != APR_INPARENT) {
    if (slot->shared) store(slot->shared->state, WSGID_PROCESS_EMPTY);
    slot->shared = nullptr;
    log_server(gen->server, APLOG_CRIT, rv, "WSGID0212",
               "cannot fork daemon process %d of group '%s'", slot->index + 1, slot->group->name);
    return;
  }
  slot->running = true;
  apr_proc_other_child_register(&slot->proc, daemon_maintenance, slot, nullptr, gen->pconf);
}

// A previous generation's daemon: reap it when it has drained; never restart it.
struct DrainingWatch {
  apr_proc_t proc;
  DrainingDaemon daemon;
};

void draining_maintenance(int reason, void* data, int status) {
  if (reason != APR_OC_REASON_DEATH && reason != APR_OC_REASON_LOST) return;
  auto* watch = static_cast<DrainingWatch*>(data);
  apr_proc_other_child_unregister(data);
  release_process_slot(watch->daemon.group, watch->daemon.process, status);
  if (!g_generation) return;
  apr_array_header_t* list = g_generation->registry->draining;
  auto* d = reinterpret_cast<DrainingDaemon*>(list->elts);
  for (int i = 0; i < list->nelts; ++i) {
    if (d[i].pid == watch->proc.pid) {
      d[i] = d[list->nelts - 1];
      --list->nelts;
      break;
    }
  }
}

void watch_one_draining(Generation* gen, const DrainingDaemon& d) {
  auto* watch = static_cast<DrainingWatch*>(apr_pcalloc(gen->pconf, sizeof(DrainingWatch)));
  watch->proc.pid = d.pid;
  watch->daemon = d;
  apr_proc_other_child_register(&watch->proc, draining_maintenance, watch, nullptr, gen->pconf);
}

void watch_draining(Generation* gen) {
  const auto* d = reinterpret_cast<const DrainingDaemon*>(gen->registry->draining->elts);
  for (int i = 0; i < gen->registry->draining->nelts; ++i) watch_one_draining(gen, d[i]);
}

}  // namespace

// A daemon that drains on its own account (maximum-requests, restart-interval, memory-limit, a
// changed script, ...) stops accepting at once and may take up to graceful-timeout to finish.
// Its replacement is forked as soon as that is seen here, not when it exits: with processes=1
// nothing would otherwise serve the group meanwhile. The draining one is watched like a
// previous generation's until it exits (its scoreboard slot released then, its pid known to a
// stop or restart), and the slot takes the new process.
//
// The state is the daemon's own word, in memory its application can write: an application that
// claims to drain and never exits would have a new process forked every ten seconds. So a
// group has at most kMaxReplacedPerProcess replaced daemons per process still draining before
// another is replaced (WSGID0216), and each is killed if still there kDrainSlack after its
// graceful-timeout (kill_overdue_daemons, WSGID0215).
namespace {
constexpr int kMaxReplacedPerProcess = 2;

int still_draining(const Registry* reg, const wsgid_group_slot* group) {
  const auto* d = reinterpret_cast<const DrainingDaemon*>(reg->draining->elts);
  int n = 0;
  for (int i = 0; i < reg->draining->nelts; ++i) n += d[i].group == group ? 1 : 0;
  return n;
}
}  // namespace

void replace_draining_daemons() {
  Generation* gen = g_generation;
  if (!gen || httpd_stopping()) return;
  auto** slots = reinterpret_cast<DaemonSlot**>(gen->slots->elts);
  for (int i = 0; i < gen->slots->nelts; ++i) {
    DaemonSlot* slot = slots[i];
    if (!slot->running || !slot->shared || load(slot->shared->state) != WSGID_PROCESS_DRAINING) {
      continue;
    }
    const int draining = still_draining(gen->registry, slot->group->slot);
    if (draining >= kMaxReplacedPerProcess * std::max(slot->group->processes, 1)) {
      if (slot->replacement_deferred) continue;
      slot->replacement_deferred = true;
      log_server(gen->server, APLOG_WARNING, 0, "WSGID0216",
                 "daemon process %d of group '%s' (pid %d) is draining, but %d replaced "
                 "processes of the group have not exited yet; its replacement waits until one "
                 "does (requests outlasting several recycles, or an application that keeps "
                 "its process from exiting)",
                 slot->index + 1, slot->group->name, static_cast<int>(slot->proc.pid), draining);
      continue;
    }
    apr_proc_other_child_unregister(slot);
    const DrainingDaemon old{slot->proc.pid, slot->group->slot, slot->shared,
                             drain_deadline(*slot->group)};
    *static_cast<DrainingDaemon*>(apr_array_push(gen->registry->draining)) = old;
    watch_one_draining(gen, old);
    log_server(gen->server, APLOG_INFO, 0, "WSGID0213",
               "daemon process %d of group '%s' (pid %d) is draining; starting its replacement "
               "now",
               slot->index + 1, slot->group->name, static_cast<int>(old.pid));
    slot->running = false;
    slot->shared = nullptr;
    slot->startup_failures = 0;
    slot->replacement_deferred = false;
    spawn(slot);
  }
}

void kill_overdue_daemons() {
  Generation* gen = g_generation;
  if (!gen) return;
  const apr_time_t now = apr_time_now();
  auto* d = reinterpret_cast<DrainingDaemon*>(gen->registry->draining->elts);
  for (int i = 0; i < gen->registry->draining->nelts; ++i) {
    if (d[i].deadline == 0 || now < d[i].deadline) continue;
    // Still in the list, so not yet reaped: the pid is still this child's.
    kill(d[i].pid, SIGKILL);
    d[i].deadline = 0;
    log_server(gen->server, APLOG_ERR, 0, "WSGID0215",
               "daemon process (pid %d) was still there %d s after its graceful-timeout ended; "
               "killed (its application kept it from exiting)",
               static_cast<int>(d[i].pid), static_cast<int>(apr_time_sec(kDrainSlack)));
  }
}

namespace {

// Waits for every daemon we know of to exit, SIGKILLing those still there at the deadline,
// so that httpd's exit means its daemons are gone too.
void reap_all(const apr_array_header_t* draining, apr_interval_time_t grace) {
  std::vector<pid_t> pids;
  const auto* d = reinterpret_cast<const DrainingDaemon*>(draining->elts);
  for (int i = 0; i < draining->nelts; ++i) pids.push_back(d[i].pid);
  const apr_time_t deadline = apr_time_now() + grace;
  while (!pids.empty()) {
    std::erase_if(pids, [](pid_t pid) {
      int st = 0;
      const pid_t r = waitpid(pid, &st, WNOHANG);
      return r == pid || (r < 0 && errno == ECHILD);
    });
    if (pids.empty()) break;
    if (apr_time_now() >= deadline) {
      for (pid_t pid : pids) kill(pid, SIGKILL);
      for (pid_t pid : pids) waitpid(pid, nullptr, 0);
      break;
    }
    apr_sleep(apr_time_from_msec(10));
  }
}

apr_status_t generation_cleanup(void* data) {
  auto* gen = static_cast<Generation*>(data);
  const bool restarting = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_DESTROY_CONFIG;
  gen->stopping = true;
  Registry* reg = gen->registry;
  int grace = 0;
  auto** slots = reinterpret_cast<DaemonSlot**>(gen->slots->elts);
  for (int i = 0; i < gen->slots->nelts; ++i) {
    DaemonSlot* slot = slots[i];
    grace = std::max(grace, slot->group->shutdown_timeout);
    if (!slot->running) continue;
    // Restart: the old daemon finishes what it has and exits while the next generation takes
    // new connections from the same socket. Stop: the workers are done, so it can go.
    kill(slot->proc.pid, restarting ? SIGUSR1 : SIGTERM);
    *static_cast<DrainingDaemon*>(apr_array_push(reg->draining)) =
        DrainingDaemon{slot->proc.pid, slot->group->slot, slot->shared,
                       restarting ? drain_deadline(*slot->group) : 0};
  }
  if (restarting) {
    g_generation = nullptr;
    return APR_SUCCESS;
  }
  const auto* draining = reinterpret_cast<const DrainingDaemon*>(reg->draining->elts);
  for (int i = 0; i < reg->draining->nelts; ++i) kill(draining[i].pid, SIGTERM);
  reap_all(reg->draining, apr_time_from_sec(grace + 1));
  reg->draining->nelts = 0;
  auto* sockets = reinterpret_cast<SocketEntry*>(reg->sockets->elts);
  for (int i = 0; i < reg->sockets->nelts; ++i) forget_socket(sockets[i]);
  reg->sockets->nelts = 0;
  g_generation = nullptr;
  return APR_SUCCESS;
}

// Reuses the previous generation's socket for a group of the same name and owner, so that
// connections queued in its backlog during the restart are served by the new daemons.
bool attach_socket(Generation* gen, DaemonGroup& g, const char* prefix) {
  Registry* reg = gen->registry;
  auto* sockets = reinterpret_cast<SocketEntry*>(reg->sockets->elts);
  for (int i = 0; i < reg->sockets->nelts; ++i) {
    if (std::strcmp(sockets[i].group, g.name) == 0 && sockets[i].owner == gen->worker_uid &&
        !sockets[i].in_use) {
      sockets[i].in_use = true;
      g.listen_fd = sockets[i].fd;
      g.socket_path = sockets[i].path;
      g.credential = sockets[i].credential;
      g.listener_pid = sockets[i].listener;
      return true;
    }
  }
  auto* credential = static_cast<GroupCredential*>(apr_palloc(reg->pool, sizeof(GroupCredential)));
  if (!make_credential(*credential)) {
    log_server(gen->server, APLOG_CRIT, errno, "WSGID0220",
               "cannot make the connection secret of daemon group '%s': the kernel's random "
               "source (getrandom) failed",
               g.name);
    return false;
  }
  const char* path = apr_psprintf(reg->pool, "%s.%d.%d.sock", prefix, static_cast<int>(getpid()),
                                  reg->next_socket_id++);
  const int fd = create_daemon_socket(gen->server, g.name, path, g.listen_backlog, gen->worker_uid);
  if (fd < 0) {
    wipe_credential(*credential);
    return false;
  }
  SocketEntry e{
      apr_pstrdup(reg->pool, g.name), path, fd, gen->worker_uid, true, credential, getpid()};
  *static_cast<SocketEntry*>(apr_array_push(reg->sockets)) = e;
  g.listen_fd = fd;
  g.socket_path = path;
  g.credential = credential;
  g.listener_pid = e.listener;
  return true;
}

void release_unused_sockets(Registry* reg) {
  auto* sockets = reinterpret_cast<SocketEntry*>(reg->sockets->elts);
  int kept = 0;
  for (int i = 0; i < reg->sockets->nelts; ++i) {
    if (sockets[i].in_use) {
      sockets[kept++] = sockets[i];
    } else {
      forget_socket(sockets[i]);
    }
  }
  reg->sockets->nelts = kept;
}

}  // namespace

// Said once per configuration, here rather than by every daemon it concerns: each daemon then
// applies what the kernel has and leaves the rest out.
void note_landlock_shortfall(server_rec* s, DaemonGroup* const* groups, int count) {
  bool filesystem = false;
  bool scopes = false;
  for (int i = 0; i < count; ++i) {
    filesystem = filesystem || groups[i]->sandbox_filesystem == FilesystemScope::kOn;
    scopes = scopes || groups[i]->sandbox_scopes;
  }
  const int abi = landlock_abi_version();
  if (filesystem && abi < kLandlockFilesystemAbi) {
    log_server(s, APLOG_NOTICE, 0, "WSGID0225",
               "this kernel has no Landlock (not built in, or not in the lsm= boot list): "
               "sandbox-filesystem=on is not enforced, so daemons can open whatever their user "
               "may; uid separation and file modes are what is left");
  }
  if (scopes && abi < kLandlockScopeAbi) {
    log_server(s, APLOG_NOTICE, 0, "WSGID0226",
               "this kernel's Landlock ABI is %d; signal and abstract-socket scoping need 6 "
               "(Linux 6.12): daemons of one uid can signal each other and httpd's processes, "
               "so give each site its own user",
               abi);
  }
}

// A daemon that stays forked (daemon_child.hpp) keeps a copy of this process's memory: every
// vhost's configuration and TLS private keys. Said once per configuration and group.
void note_forked_groups(server_rec* s, DaemonGroup* const* groups, int count) {
  for (int i = 0; i < count; ++i) {
    const DaemonGroup& g = *groups[i];
    if (daemon_execs_helper(g)) continue;
    log_server(s, APLOG_NOTICE, 0, "WSGID0219",
               "daemon group '%s' runs its application in a fork of httpd (%s), not in a fresh "
               "wsgid-daemon process: it can read httpd's memory, which holds every "
               "VirtualHost's configuration and TLS private keys. Drop %s where sites must not "
               "trust each other",
               g.name, g.chroot ? "chroot=" : "WSGILazyInitialization Off",
               g.chroot ? "chroot= (sandbox-filesystem= confines files without it)"
                        : "WSGILazyInitialization Off");
  }
}

int start_daemon_groups(apr_pool_t* pconf, apr_pool_t* /*ptemp*/, server_rec* s) {
  // httpd reads its configuration twice at start-up; daemons belong to the real run only.
  if (ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL ||
      ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
    return OK;
  }
  GlobalConfig& gc = global_config();
  auto* gen = static_cast<Generation*>(apr_pcalloc(pconf, sizeof(Generation)));
  gen->pconf = pconf;
  gen->server = s;
  gen->registry = registry(s->process);
  gen->slots = apr_array_make(pconf, 4, sizeof(DaemonSlot*));
  gen->worker_uid = geteuid() == 0 ? ap_unixd_config.user_id : geteuid();
  g_generation = gen;

  auto* sockets = reinterpret_cast<SocketEntry*>(gen->registry->sockets->elts);
  for (int i = 0; i < gen->registry->sockets->nelts; ++i) sockets[i].in_use = false;

  const char* prefix = gc.socket_prefix ? gc.socket_prefix : ap_runtime_dir_relative(pconf, "wsgi");
  wsgid_scoreboard* board = scoreboard(s->process);
  if (board) {
    for (wsgid_group_slot& slot : board->groups) store(slot.configured, 0);
  }
  auto** groups = reinterpret_cast<DaemonGroup**>(gc.groups->elts);
  for (int i = 0; i < gc.groups->nelts; ++i) {
    DaemonGroup& g = *groups[i];
    if (!g.user && geteuid() == 0) {
      g.uid = ap_unixd_config.user_id;
      if (!g.group) g.gid = ap_unixd_config.group_id;
    } else if (geteuid() != 0) {
      g.uid = geteuid();
      g.gid = getegid();
    }
    if (!g.python_home) g.python_home = gc.python_home;
    if (gc.python_path->nelts)
      g.python_path = apr_array_append(pconf, g.python_path, gc.python_path);
    if (!attach_socket(gen, g, prefix)) return HTTP_INTERNAL_SERVER_ERROR;
    g.slot = claim_group_slot(board, g.name);
    if (g.slot) {
      store(g.slot->configured, 1);
      store(g.slot->processes, g.processes);
    }
  }
  release_unused_sockets(gen->registry);
  note_landlock_shortfall(s, groups, gc.groups->nelts);
  note_forked_groups(s, groups, gc.groups->nelts);
  watch_draining(gen);
  apr_pool_cleanup_register(pconf, gen, generation_cleanup, apr_pool_cleanup_null);

  for (int i = 0; i < gc.groups->nelts; ++i) {
    for (int n = 0; n < groups[i]->processes; ++n) {
      auto* slot = static_cast<DaemonSlot*>(apr_pcalloc(pconf, sizeof(DaemonSlot)));
      slot->group = groups[i];
      slot->index = n;
      *static_cast<DaemonSlot**>(apr_array_push(gen->slots)) = slot;
      spawn(slot);
    }
  }
  return OK;
}

void close_daemon_sockets_in_worker() {
  if (!g_generation) return;
  const auto* sockets = reinterpret_cast<const SocketEntry*>(g_generation->registry->sockets->elts);
  for (int i = 0; i < g_generation->registry->sockets->nelts; ++i) close(sockets[i].fd);
}

}  // namespace wsgid
