/* The boundary between mod_wsgid.so (httpd side, links no Python) and wsgid_python.so (the
 * Python side, links libpython3.11). httpd-side code dlopen()s wsgid_python.so only in a
 * process that will run Python (a daemon after fork and privilege drop) and calls through
 * this table. Plain C so that neither side's C++ types or exceptions cross it.
 *
 * Bump WSGID_PYTHON_ABI_VERSION on any change to these structs or to the meaning of a field;
 * the httpd side refuses a table whose version differs. */
#ifndef WSGID_PYTHON_ABI_H
#define WSGID_PYTHON_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scoreboard.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WSGID_PYTHON_ABI_VERSION 10u
#define WSGID_PYTHON_ENTRY_SYMBOL "wsgid_python_entry"
#define WSGID_CONNECTION_SECRET_SIZE 32

/* Exit status of a daemon process that could not start (Python failed to initialise, the
 * sandbox failed to load, ...). The parent restarts such a daemon with back-off instead of at
 * once, so a broken configuration does not become a fork storm. Any other status (0 after a
 * drain or recycle, a signal after a crash) is restarted at once unless httpd is stopping. */
#define WSGID_EXIT_STARTUP_FAILURE 78

/* Exit status of a daemon whose application closed (or reused) the daemon's own descriptors:
 * its listening socket, epoll set or error log. It can no longer accept or wait, so it exits at
 * once (requests in flight are lost) and the parent replaces it without back-off, logging
 * WSGID0232. */
#define WSGID_EXIT_FDS_LOST 79

/* A script loaded before the daemon accepts its first request (WSGIImportScript, or a
 * WSGIScriptAlias whose process-group and application-group are both given literally). */
typedef struct wsgid_preload {
  const char* script_path;
  const char* application_group; /* "" is the main interpreter (%{GLOBAL}) */
  const char* callable_object;   /* NULL: only import the script (WSGIImportScript) */
} wsgid_preload;

typedef struct wsgid_daemon_spec {
  uint32_t abi_version; /* WSGID_PYTHON_ABI_VERSION */
  const char* group_name;
  int listen_fd;           /* listening UNIX stream socket, O_NONBLOCK, shared by the group */
  int processes;           /* processes in this group (for wsgi.multiprocess) */
  int threads;             /* request threads in this process */
  int multiprocess_option; /* 1 when processes= was given explicitly (mod_wsgi semantics) */
  long maximum_requests;   /* recycle after this many requests; 0 = never */
  /* Timeouts in seconds; 0 = none. */
  double graceful_timeout;        /* drain on recycle / graceful restart before forcing exit */
  double shutdown_timeout;        /* drain on stop before forcing exit */
  double socket_timeout;          /* per read/write on a worker connection */
  double request_timeout;         /* a request running longer than this recycles the process */
  double inactivity_timeout;      /* no requests for this long: recycle */
  const char* python_home;        /* NULL: the interpreter's own prefix */
  const char* const* python_path; /* extra sys.path entries, prepended in order */
  size_t python_path_count;
  const char* lang;               /* LANG/LC_ALL for the daemon, NULL: unchanged */
  const char* locale;             /* setlocale(LC_ALL, locale), NULL: unchanged */
  const uid_t* allowed_peer_uids; /* SO_PEERCRED uids allowed to connect */
  size_t allowed_peer_uid_count;
  const wsgid_preload* preload;
  size_t preload_count;
  /* Called once, after Python start-up and preloading, before the first accept: applies the
   * seccomp filter (NULL when the group has none). Returns 0, or non-zero with a message in
   * err, in which case the daemon logs it and exits WSGID_EXIT_STARTUP_FAILURE. */
  int (*apply_sandbox)(void* ctx, char* err, size_t err_len);
  void* sandbox_ctx;
  /* This process's slot and its group's slot in the shared scoreboard (scoreboard.h),
   * or NULL when there is none (tests, more processes than slots). The daemon sets its state
   * READY before its first accept and DRAINING when it stops accepting, keeps busy_threads and
   * requests current, observes the group's queue_wait (from the request's
   * mod_wsgi.queue_start, microseconds since the epoch) and writes exit_reason before it exits. */
  wsgid_process_slot* process_slot;
  wsgid_group_slot* group_slot;
  /* httpd's LogLevel for the group's server, as APLOG_* numbers (3 error .. 7 debug);
   * lines above it are not written. */
  int log_level;
  /* Recycling limits, all graceful (drain within graceful_timeout); 0 = none. */
  double cpu_time_limit;   /* CPU seconds (user + system) this process may use */
  uint64_t memory_limit;   /* resident set size in bytes */
  double restart_interval; /* seconds since the process became ready */
  /* Not ready to accept within this many seconds of daemon_main: exit
   * WSGID_EXIT_STARTUP_FAILURE. 0 = wait for ever. */
  double startup_timeout;
  /* The GIL not released for this many seconds: log and exit at once (exit_reason
   * WSGID_EXIT_DEADLOCK) so the parent starts a fresh process. 0 = never. */
  double deadlock_timeout;
  size_t stack_size; /* stack of each request thread in bytes; 0 = the default */
  /* The directory the process was chrooted into, or NULL. A SCRIPT_FILENAME below it is
   * rewritten to the path inside it (the worker sends paths as httpd sees them). */
  const char* chroot;
  /* Python start-up (WSGIPythonWarnings, WSGIPythonOptimize, WSGIDontWriteBytecode,
   * WSGIPythonHashSeed, WSGIRestrictStdin/Stdout). A value <= 0 leaves Python's default, except
   * use_hash_seed, where -1 does. */
  const char* const* warn_options; /* -W style filters, in order */
  size_t warn_option_count;
  int optimize;            /* 0..2 */
  int dont_write_bytecode; /* 1: sys.dont_write_bytecode */
  int use_hash_seed;       /* 0: random; 1: hash_seed; -1: PYTHONHASHSEED or random */
  unsigned long hash_seed; /* 0..4294967295 */
  int restrict_stdin;      /* 1: any use of sys.stdin raises, naming WSGIRestrictStdin */
  int restrict_stdout;     /* 1: any use of sys.stdout raises, naming WSGIRestrictStdout */
  /* A request that waited longer than this (from mod_wsgi.queue_start to accept) for a
   * daemon thread is answered with an Error frame (503, WSGID0525) without running the app,
   * as mod_wsgi's queue-timeout. 0 = no limit. */
  double queue_timeout;
  /* Embedded mode. 1: daemon_main runs on a thread of an httpd worker child (the
   * "in-process daemon", see docs/architecture.md): it installs no signal handlers, never
   * _exits the process (a drain that overruns its timeout returns, leaving its threads), does
   * not watch deadlock-timeout or startup-timeout, and reads control_fd instead of signals.
   * The caller blocks every signal on the calling thread before daemon_main; there is no
   * scoreboard slot (process_slot and group_slot are NULL). */
  int embedded;
  /* Embedded only: read end of a pipe owned by the caller (never closed by daemon_main).
   * Each byte is a signal number: SIGUSR1 asks for a graceful drain, SIGTERM for a stop. */
  int control_fd;
  /* Embedded only: the one process allowed to connect (the worker itself, whose socket
   * name any process can see in the abstract namespace), checked with SO_PEERCRED besides the
   * uid. 0: any process of an allowed uid. */
  pid_t embedded_peer_pid;
  /* The group's connection secret, WSGID_CONNECTION_SECRET_SIZE bytes (the wire
   * protocol's kSecretSize). A connection whose Hello does not prove it is refused before
   * anything it sent is read (WSGID0540). Never NULL for a real group. */
  const unsigned char* connection_secret;
  /* Forked daemons: httpd's parent. A peer is accepted only if /proc/<peer>/stat names
   * it as its parent (httpd's worker children), WSGID0541. 0: no such check (embedded mode
   * checks embedded_peer_pid instead). */
  pid_t peer_parent_pid;
  /* sandbox-filesystem=log: the Landlock filesystem scope's learning mode. 1: the
   * daemon's files are not restricted; an audit hook logs (WSGID0552), once each, the paths
   * opened, listed, created or removed that the scope would refuse: reading outside fs_read
   * and fs_write, writing outside fs_write. 0: no hook (the scope is enforced or off). */
  int fs_learning;
  const char* const* fs_read;
  size_t fs_read_count;
  const char* const* fs_write;
  size_t fs_write_count;
  /* Where the Python side writes its log lines when fd 2 (the group's error log) is a
   * pipe: a second, non-blocking open of the same pipe, so a full pipe drops lines (counted,
   * WSGID0561) instead of blocking a thread that holds the GIL. <= 2: write to fd 2 itself. */
  int log_fd;
} wsgid_daemon_spec;

typedef struct wsgid_python_api {
  uint32_t abi_version;
  /* Runs the daemon: initialise Python, preload, sandbox, then serve until told to stop.
   * SIGTERM: stop accepting, finish in-flight requests within shutdown_timeout, return 0.
   * SIGUSR1: the same within graceful_timeout (graceful restart).
   * Returns the process exit status; never returns on a fatal signal. */
  int (*daemon_main)(const wsgid_daemon_spec* spec);
  /* WSGILazyInitialization Off: starts Python in the calling process (the httpd parent)
   * from the spec's Python settings (python_home, warn_options, optimize, dont_write_bytecode,
   * use_hash_seed, hash_seed; every other field is ignored), installs no signal handlers and
   * releases the GIL. Processes forked afterwards inherit the interpreter: their daemon_main
   * finishes the start-up after the fork (PyOS_AfterFork_Child, streams, python-path) instead of
   * initialising again. Python is never finalised: called again while it runs (a graceful
   * restart) it changes nothing. Returns 0 when started or already running with the same
   * settings; 1 when already running with other settings (what differs is in err); -1 on
   * failure (why is in err). */
  int (*start_in_parent)(const wsgid_daemon_spec* spec, char* err, size_t err_len);
} wsgid_python_api;

/* Exported by wsgid_python.so under WSGID_PYTHON_ENTRY_SYMBOL. */
const wsgid_python_api* wsgid_python_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* WSGID_PYTHON_ABI_H */
