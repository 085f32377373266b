#include "peer_auth.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "error_log.hpp"
#include "unique_fd.hpp"
#include "wire_protocol.hpp"

static_assert(wsgid::wire::kSecretSize == WSGID_CONNECTION_SECRET_SIZE);

namespace wsgid::python {

std::string Peer::describe() const {
  return "pid " + std::to_string(pid) + " uid " + std::to_string(uid);
}

pid_t parent_pid_of(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return -1;
  char buf[512];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) {
    if (n == 0) errno = EIO;
    return -1;
  }
  buf[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the
  // last ')'.
  const char* close = std::strrchr(buf, ')');
  char state = 0;
  int ppid = -1;
  if (close == nullptr || std::sscanf(close + 1, " %c %d", &state, &ppid) != 2 || ppid < 0) {
    errno = EINVAL;
    return -1;
  }
  return static_cast<pid_t>(ppid);
}

PeerPolicy::PeerPolicy(const wsgid_daemon_spec& spec) : spec_(spec) {
  if (spec.peer_parent_pid == 0) return;
  parent_check_ = parent_pid_of(::getpid()) >= 0;
  if (!parent_check_) {
    log_line(LogLevel::kNotice,
             std::string("WSGID0543: daemon group ") + (spec.group_name ? spec.group_name : "?") +
                 " pid " + std::to_string(::getpid()) +
                 " cannot read /proc (not mounted under chroot=?): connections are checked by "
                 "uid and the group's secret only, not by parent process");
  }
}

std::optional<Peer> PeerPolicy::peer_of(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  return Peer{cred.pid, cred.uid};
}

std::optional<Refusal> PeerPolicy::check_peer(const Peer& peer, int connection) {
  bool uid_ok = false;
  for (std::size_t i = 0; i < spec_.allowed_peer_uid_count; ++i) {
    uid_ok = uid_ok || spec_.allowed_peer_uids[i] == peer.uid;
  }
  if (!uid_ok) {
    return Refusal{"WSGID0504",
                   "only httpd's worker user may connect; check the socket's permissions"};
  }
  if (spec_.embedded_peer_pid != 0) {
    // The in-process daemon serves its own worker's threads only; another process of the same
    // uid (a CGI script run as the httpd user) could otherwise reach its apps and hooks.
    if (peer.pid == spec_.embedded_peer_pid) return std::nullopt;
    return Refusal{"WSGID0504", "embedded Python serves only its own worker process"};
  }
  if (!parent_check_) return std::nullopt;
  // httpd's parent itself serves requests only in its one-process debug mode (httpd -X).
  if (peer.pid == spec_.peer_parent_pid) return std::nullopt;
  if (verified_.contains(peer.pid)) return std::nullopt;
  UniqueFd pidfd = VerifiedPeers::pidfd_of(connection);  // taken before its /proc entry is read
  const pid_t parent = parent_pid_of(peer.pid);
  if (parent == spec_.peer_parent_pid) {
    verified_.remember(peer.pid, std::move(pidfd));
    return std::nullopt;
  }
  if (parent < 0) {
    return Refusal{"WSGID0541", std::string("its parent process cannot be read from /proc (") +
                                    std::strerror(errno) +
                                    "; is /proc mounted with hidepid?), so it cannot be shown "
                                    "to be an httpd worker"};
  }
  return Refusal{"WSGID0541", "it is not an httpd worker: its parent is pid " +
                                  std::to_string(parent) + ", not httpd's pid " +
                                  std::to_string(spec_.peer_parent_pid)};
}

std::optional<Refusal> PeerPolicy::check_hello(bool is_hello, std::string_view payload) const {
  wire::Hello hello;
  if (!is_hello) {
    return Refusal{"WSGID0540", "its first frame is not a Hello: not an httpd worker"};
  }
  if (!wire::parse_hello(payload, hello)) {
    if (hello.version != 0 && hello.version != wire::kVersion) {
      return Refusal{"WSGID0505", "it speaks protocol version " + std::to_string(hello.version) +
                                      ", this daemon " + std::to_string(wire::kVersion) +
                                      " (mod_wsgid and wsgid_python.so from different builds? "
                                      "install both from one build and restart httpd)"};
    }
    return Refusal{"WSGID0540", "its Hello is malformed: not an httpd worker"};
  }
  if (spec_.connection_secret == nullptr || !wire::hello_proves(hello, spec_.connection_secret)) {
    return Refusal{"WSGID0540",
                   "its Hello does not prove this group's secret: only httpd's own workers of "
                   "the running server may connect (a process of another site, a CGI script or "
                   "a previous httpd?)"};
  }
  return std::nullopt;
}

}  // namespace wsgid::python
