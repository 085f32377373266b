#include "embedded_daemon.hpp"

#include <apr_strings.h>
#include <ap_mpm.h>
#include <http_core.h>
#include <http_log.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "daemon_connection.hpp"
#include "log.hpp"
#include "python_library.hpp"
#include "unix_address.hpp"

namespace wsgid {
namespace {

// How long the child-exit cleanup waits for the drain; the worker's own threads have finished
// their requests by then, so this only bounds a slow atexit or a stuck start-up.
constexpr int kStopWaitSeconds = 5;

void write_byte(int fd, int signo) {
  const unsigned char byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
}

template <typename T>
std::vector<T> to_vector(const apr_array_header_t* a) {
  if (!a) return {};
  const T* e = reinterpret_cast<const T*>(a->elts);
  return std::vector<T>(e, e + a->nelts);
}

int mpm_query(int what, int fallback) {
  int value = 0;
  return ap_mpm_query(what, &value) == APR_SUCCESS && value > 0 ? value : fallback;
}

// One per worker child, on the heap; a cleanup on the child pool stops it (and frees it once
// its thread has finished).
class Embedded {
 public:
  explicit Embedded(server_rec* s) : server_(s) {}
  ~Embedded() { wipe_credential(credential_); }
  Embedded(const Embedded&) = delete;
  Embedded& operator=(const Embedded&) = delete;

  const DaemonGroup* group() {
    std::call_once(once_, [this] { started_ = start(); });
    return started_ ? &group_ : nullptr;
  }

  // Asks the Python thread to drain and waits for it, bounded. True when it has stopped (or
  // never started); false when it is still running and must be left alive (it reads spec_).
  bool stop();

 private:
  bool start();
  bool fail(int err, const std::string& what) {
    log_server(server_, APLOG_ERR, err, "WSGID0120",
               "embedded mode cannot start in worker pid %d: %s; requests without a daemon "
               "process group and Python hooks fail in this worker",
               static_cast<int>(getpid()), what.c_str());
    close_fds();
    return false;
  }
  void close_fds() {
    for (int* fd : {&listen_fd_, &control_[0], &control_[1], &done_fd_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  }
  server_rec* server_;
  std::once_flag once_;
  bool started_ = false;
  DaemonGroup group_;
  GroupCredential credential_{};  // this worker's own: its threads are the only clients
  std::string socket_name_;
  int listen_fd_ = -1;
  int control_[2] = {-1, -1};
  int done_fd_ = -1;
  std::thread thread_;
  wsgid_daemon_spec spec_{};
  std::vector<const char*> python_path_;
  std::vector<const char*> warn_options_;
  std::vector<uid_t> peers_;
  std::vector<wsgid_preload> preloads_;
};

bool Embedded::start() {
  std::string load_error;
  const wsgid_python_api* api = load_python_api(load_error);
  if (!api) return fail(0, load_error);

  // A private socket in the abstract namespace: nothing to create in, or clean up from, the
  // file system, and it vanishes with the worker. SO_PEERCRED limits it to our own uid.
  std::uint64_t nonce = 0;
  if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
    nonce = static_cast<std::uint64_t>(apr_time_now());
  socket_name_ = "@wsgid-embedded-" + std::to_string(getpid()) + "-" + std::to_string(nonce);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return fail(errno, "socket() failed");
  const auto address = unix_address(socket_name_);
  if (!address) return fail(ENAMETOOLONG, "cannot listen on a private UNIX socket");
  const int threads = mpm_query(AP_MPMQ_MAX_THREADS, 1);
  if (::bind(listen_fd_, address->get(), address->length) != 0 ||
      ::listen(listen_fd_, std::max(threads * 2, 16)) != 0) {
    return fail(errno, "cannot listen on a private UNIX socket");
  }
  if (!make_credential(credential_)) return fail(errno, "getrandom() failed");
  if (::pipe2(control_, O_CLOEXEC | O_NONBLOCK) != 0) return fail(errno, "pipe2() failed");
  done_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (done_fd_ < 0) return fail(errno, "eventfd() failed");

  const GlobalConfig& gc = global_config();
  group_.name = "%{GLOBAL}";
  group_.server = server_;
  group_.socket_path = socket_name_.c_str();
  group_.listen_fd = listen_fd_;
  group_.threads = threads;
  group_.credential = &credential_;
  group_.listener_pid = getpid();

  python_path_ = to_vector<const char*>(gc.python_path);
  peers_ = {geteuid()};
  spec_.abi_version = WSGID_PYTHON_ABI_VERSION;
  spec_.group_name = "%{GLOBAL}";
  spec_.listen_fd = listen_fd_;
  spec_.processes = mpm_query(AP_MPMQ_MAX_DAEMONS, 1);
  spec_.threads = threads;
  int forked = 0;
  spec_.multiprocess_option =
      ap_mpm_query(AP_MPMQ_IS_FORKED, &forked) == APR_SUCCESS && forked != AP_MPMQ_NOT_SUPPORTED
          ? 1
          : 0;
  spec_.graceful_timeout = kStopWaitSeconds;
  spec_.shutdown_timeout = kStopWaitSeconds;
  spec_.socket_timeout = static_cast<double>(apr_time_sec(server_->timeout));
  spec_.python_home = gc.python_home;
  spec_.python_path = python_path_.data();
  spec_.python_path_count = python_path_.size();
  spec_.allowed_peer_uids = peers_.data();
  spec_.allowed_peer_uid_count = peers_.size();
  spec_.log_level = server_->log.level;
  if (gc.restrict_embedded != 1) {
    preloads_ = to_vector<wsgid_preload>(gc.embedded_preloads);
    spec_.preload = preloads_.data();
    spec_.preload_count = preloads_.size();
  }
  set_python_settings(spec_, warn_options_);
  spec_.embedded = 1;
  spec_.embedded_peer_pid = getpid();
  spec_.connection_secret = credential_.secret;
  spec_.control_fd = control_[0];

  // httpd owns the process's signals: the Python thread and every request thread it starts
  // (which inherit its mask) block them all, so none is ever delivered to Python's threads.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  try {
    thread_ = std::thread([this, api] {
      const int rc = api->daemon_main(&spec_);
      // A failed start leaves the socket open; closing it makes later connects fail fast.
      if (rc != 0) ::shutdown(listen_fd_, SHUT_RDWR);
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t n = ::write(done_fd_, &one, sizeof one);
    });
  } catch (const std::exception& e) {
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    return fail(0, e.what());
  }
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  log_server(server_, APLOG_INFO, 0, "WSGID0121",
             "embedded Python starting in worker pid %d (%d threads)", static_cast<int>(getpid()),
             threads);
  return true;
}

bool Embedded::stop() {
  if (!thread_.joinable()) return true;
  write_byte(control_[1], SIGUSR1);
  pollfd p{done_fd_, POLLIN, 0};
  int rc = 0;
  do {
    rc = ::poll(&p, 1, kStopWaitSeconds * 1000 + 1000);
  } while (rc < 0 && errno == EINTR);
  if (rc > 0) {
    thread_.join();
    close_fds();
    return true;
  }
  // Still starting or stuck: leave it to the process exit; its fds stay open for it.
  log_server(server_, APLOG_WARNING, 0, "WSGID0122",
             "embedded Python in worker pid %d did not stop within %d s; the worker exits "
             "without waiting for it",
             static_cast<int>(getpid()), kStopWaitSeconds + 1);
  thread_.detach();
  return false;
}

Embedded* g_embedded = nullptr;

apr_status_t stop_embedded(void*) {
  Embedded* e = std::exchange(g_embedded, nullptr);
  if (e && e->stop()) delete e;  // otherwise leaked on purpose: its thread still uses it
  return APR_SUCCESS;
}

}  // namespace

void embedded_child_init(apr_pool_t* pchild, server_rec* s) {
  // Even under WSGIRestrictEmbedded On: the Python hooks (python_hooks.cpp) run here, as in
  // mod_wsgi. Nothing is loaded until a hook or an embedded app is first used.
  g_embedded = new Embedded(s);
  apr_pool_cleanup_register(pchild, nullptr, stop_embedded, apr_pool_cleanup_null);
  // Embedded preloads (WSGIImportScript or WSGIScriptAlias with process-group=%{GLOBAL}) are
  // what this child starts for, as in mod_wsgi: Python starts now, not on the first request.
  const GlobalConfig& gc = global_config();
  if (gc.restrict_embedded != 1 && gc.embedded_preloads && gc.embedded_preloads->nelts > 0) {
    try {
      g_embedded->group();
    } catch (const std::exception& e) {
      log_server(s, APLOG_ERR, 0, "WSGID0120", "embedded mode cannot start: %s", e.what());
    }
  }
}

void warn_about_unused_embedded_preloads(server_rec* s) {
  const GlobalConfig& gc = global_config();
  if (gc.restrict_embedded != 1 || !gc.embedded_preloads ||
      ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
    return;
  }
  const auto* p = reinterpret_cast<const wsgid_preload*>(gc.embedded_preloads->elts);
  for (int i = 0; i < gc.embedded_preloads->nelts; ++i) {
    log_server(s, APLOG_WARNING, 0, "WSGID0123",
               "%s is not preloaded: process-group=%%{GLOBAL} means embedded mode, which "
               "WSGIRestrictEmbedded On turns off; name a daemon process group instead",
               p[i].script_path);
  }
}

const DaemonGroup* embedded_group(request_rec* r) {
  if (!g_embedded) {
    log_request(r, APLOG_ERR, 0, "WSGID0120", "embedded mode is not available in worker pid %d",
                static_cast<int>(getpid()));
    return nullptr;
  }
  try {
    return g_embedded->group();
  } catch (const std::exception& e) {
    log_request(r, APLOG_ERR, 0, "WSGID0120", "embedded mode cannot start: %s", e.what());
    return nullptr;
  }
}

}  // namespace wsgid
