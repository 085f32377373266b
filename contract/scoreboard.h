/* wsgid's scoreboard: daemon-group state and counters in memory shared by the httpd parent,
 * its worker children and every daemon process. The parent maps it once for its whole life
 * (it survives graceful restarts) and owns the layout; everyone updates their own fields with
 * atomic operations (the __atomic builtins, relaxed order: these are statistics, not locks).
 *
 *   parent  : assigns group and process slots, process state STARTING on fork, EMPTY on death,
 *             restarts[] by the exit reason the daemon left in its slot
 *   worker  : requests_by_class[], duration, gateway_errors[] (after each request)
 *   daemon  : its process slot's state READY/DRAINING, busy_threads, requests, exit_reason,
 *             and the group's queue_wait histogram
 *
 * Plain C: mod_wsgid.so and wsgid_python.so both include it (see python_abi.h). Any layout
 * change bumps WSGID_SCOREBOARD_VERSION and WSGID_PYTHON_ABI_VERSION. */
#ifndef WSGID_SCOREBOARD_H
#define WSGID_SCOREBOARD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WSGID_SCOREBOARD_MAGIC 0x42534757u /* "WGSB" */
#define WSGID_SCOREBOARD_VERSION 4u
#define WSGID_SCOREBOARD_MAX_GROUPS 64
#define WSGID_SCOREBOARD_MAX_PROCESSES 64 /* per group, old generations included */
#define WSGID_GROUP_NAME_MAX 64
#define WSGID_STARTUP_ERROR_MAX 256
/* Each group's slot starts on its own 64 KiB boundary and fills whole pages of any page size up
 * to that (version 4), so that a daemon keeps its own group's slot mapped and unmaps the rest of
 * the scoreboard, which other sites' daemons and the workers serving them read and write
 * (module/daemon/inherited_memory.hpp). Only the first page of a slot is ever touched. */
#define WSGID_SCOREBOARD_SLOT_ALIGN 65536

/* Histogram upper bounds in microseconds; the last bucket is +Inf. */
#define WSGID_HISTOGRAM_BUCKETS 12
#define WSGID_HISTOGRAM_BOUNDS_US \
  { 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000 }

enum wsgid_process_state {
  WSGID_PROCESS_EMPTY = 0,
  WSGID_PROCESS_STARTING = 1, /* forked; Python starting, preloading */
  WSGID_PROCESS_READY = 2,    /* accepting requests */
  WSGID_PROCESS_DRAINING = 3  /* finishing in-flight requests, accepting no more */
};

/* Why a daemon process ended; the daemon writes it just before exiting. A process that dies
 * without writing one (a crash, a kill, the seccomp reporter) counts as WSGID_EXIT_CRASH. */
enum wsgid_exit_reason {
  WSGID_EXIT_CRASH = 0,
  WSGID_EXIT_STARTUP_FAILED = 1,
  WSGID_EXIT_MAXIMUM_REQUESTS = 2,
  WSGID_EXIT_REQUEST_TIMEOUT = 3,
  WSGID_EXIT_INACTIVITY_TIMEOUT = 4,
  WSGID_EXIT_RELOAD = 5,   /* script changed */
  WSGID_EXIT_SHUTDOWN = 6, /* httpd stop or graceful restart */
  WSGID_EXIT_CPU_TIME_LIMIT = 7,
  WSGID_EXIT_MEMORY_LIMIT = 8,
  WSGID_EXIT_RESTART_INTERVAL = 9, /* restart-interval elapsed */
  WSGID_EXIT_DEADLOCK = 10,        /* deadlock-timeout: the GIL was held too long */
  WSGID_EXIT_REASONS = 11
};

/* Causes of the 5xx responses the worker itself produces (each also logged with a code). */
enum wsgid_gateway_error {
  WSGID_GATEWAY_CONNECT_FAILED = 0, /* 503, WSGID0105 */
  WSGID_GATEWAY_DAEMON_DIED = 1,    /* 502 or broken response, WSGID0106/0107 */
  WSGID_GATEWAY_PROTOCOL = 2,       /* 502, WSGID0108, WSGID0112 */
  WSGID_GATEWAY_TIMEOUT = 3,        /* 504, WSGID0111 */
  WSGID_GATEWAY_ERRORS = 4
};

typedef struct wsgid_histogram {
  uint64_t buckets[WSGID_HISTOGRAM_BUCKETS]; /* not cumulative: one increment per observation */
  uint64_t count;
  uint64_t sum_us;
} wsgid_histogram;

typedef struct wsgid_process_slot {
  int32_t pid;
  int32_t state;        /* enum wsgid_process_state */
  int32_t threads;      /* request threads of the process */
  int32_t busy_threads; /* threads inside a request */
  int32_t exit_reason;  /* enum wsgid_exit_reason */
  int32_t connections;  /* worker connections held, in a request or idle (persistent) */
  uint64_t requests;    /* completed by this process */
} wsgid_process_slot;

typedef struct __attribute__((aligned(WSGID_SCOREBOARD_SLOT_ALIGN))) wsgid_group_slot {
  char name[WSGID_GROUP_NAME_MAX]; /* "" when the slot is free */
  int32_t configured;              /* 1 while the current configuration declares the group */
  int32_t processes;               /* processes= of the current configuration */
  uint64_t requests_by_class[6];   /* [1]..[5]: 1xx..5xx; [0]: anything else */
  wsgid_histogram duration;        /* whole request, as the worker saw it */
  wsgid_histogram queue_wait;      /* worker connect to daemon accept */
  uint64_t restarts[WSGID_EXIT_REASONS];
  uint64_t gateway_errors[WSGID_GATEWAY_ERRORS];
  wsgid_process_slot processes_slots[WSGID_SCOREBOARD_MAX_PROCESSES];
  /* The group's last failed start (version 3). The daemon that fails writes startup_error (its
   * WSGID code and the cause's last line), then startup_failed_at_us (CLOCK_REALTIME, release
   * order, so a reader that sees the time sees the text); a process that becomes READY sets the
   * time back to 0. While it is set and no process is READY, workers answer 503 at once with
   * the cause, readiness names it, and a replacement waiting out its back-off starts as soon as
   * a preloaded script is modified after it. */
  int64_t startup_failed_at_us;
  char startup_error[WSGID_STARTUP_ERROR_MAX];
} wsgid_group_slot;

typedef struct wsgid_scoreboard {
  uint32_t magic;
  uint32_t version;
  wsgid_group_slot groups[WSGID_SCOREBOARD_MAX_GROUPS];
} wsgid_scoreboard;

/* Helpers every side uses, so the bucketing is the same everywhere. */
static inline int wsgid_histogram_bucket(uint64_t us) {
  static const uint64_t bounds[] = WSGID_HISTOGRAM_BOUNDS_US;
  int i = 0;
  while (i < WSGID_HISTOGRAM_BUCKETS - 1 && us > bounds[i]) ++i;
  return i;
}

static inline void wsgid_histogram_observe(wsgid_histogram* h, uint64_t us) {
  __atomic_fetch_add(&h->buckets[wsgid_histogram_bucket(us)], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->sum_us, us, __ATOMIC_RELAXED);
}

/* Records why a start failed (`cause` need not be NUL-terminated); `now_us` is CLOCK_REALTIME. */
static inline void wsgid_record_startup_failure(wsgid_group_slot* g, const char* cause,
                                                unsigned long length, int64_t now_us) {
  unsigned long i = 0;
  for (; i < WSGID_STARTUP_ERROR_MAX; ++i) {
    const char c = i < length && i < WSGID_STARTUP_ERROR_MAX - 1 ? cause[i] : '\0';
    __atomic_store_n(&g->startup_error[i], c, __ATOMIC_RELAXED);
  }
  /* Never 0, which means "no failure". */
  __atomic_store_n(&g->startup_failed_at_us, now_us > 0 ? now_us : 1, __ATOMIC_RELEASE);
}

/* Copies the group's start-up failure into `out` (NUL-terminated) and returns its time, or
 * returns 0 when the last start did not fail. The text may be torn if another failure is being
 * recorded at the same moment: it is for a log line and a 503 body, not a decision. */
static inline int64_t wsgid_startup_failure(const wsgid_group_slot* g, char* out, unsigned size) {
  const int64_t at = __atomic_load_n(&g->startup_failed_at_us, __ATOMIC_ACQUIRE);
  if (at == 0 || size == 0) return 0;
  unsigned i = 0;
  for (; i + 1 < size && i < WSGID_STARTUP_ERROR_MAX - 1; ++i) {
    const char c = __atomic_load_n(&g->startup_error[i], __ATOMIC_RELAXED);
    if (c == '\0') break;
    out[i] = c;
  }
  out[i] = '\0';
  return at;
}

#ifdef __cplusplus
}
#endif

#endif /* WSGID_SCOREBOARD_H */
