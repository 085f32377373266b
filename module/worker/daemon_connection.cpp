#include "daemon_connection.hpp"

#include <poll.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "parent/group_credential.hpp"
#include "log.hpp"
#include "ring_mappings.hpp"
#include "unix_address.hpp"

namespace wsgid {

int connect_once(request_rec* r, const DaemonGroup& g, const ConnectOptions& options) {
  const int fd =
      socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  if (options.timeout_seconds > 0) {
    timeval tv{};
    tv.tv_sec = options.timeout_seconds;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  if (options.send_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &options.send_buffer, sizeof options.send_buffer);
  }
  // A path too long for sun_path never gets here: daemon_socket.cpp refuses it at start-up.
  const auto address = unix_address(g.socket_path);
  if (!address) errno = ENAMETOOLONG;
  if (!address || connect(fd, address->get(), address->length) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  if (listener_is_expected(r, fd, g.name, g.socket_path, g.listener_pid)) return fd;
  close(fd);
  errno = 0;
  return -1;
}

int connect_daemon(request_rec* r, const DaemonGroup& g) {
  // A UNIX socket's send buffer bounds the bytes in flight (the default is ~208 KiB): a larger
  // one lets a request body chunk go in one write instead of several wake-ups. The kernel
  // doubles it; capped by net.core.wmem_max.
  ConnectOptions options;
  options.nonblocking = true;
  options.send_buffer = 1 << 20;
  const apr_time_t deadline = apr_time_now() + apr_time_from_sec(std::max(g.connect_timeout, 1));
  int delay_ms = 1;
  int last_errno = 0;
  while (true) {
    const int fd = connect_once(r, g, options);
    if (fd >= 0) return fd;
    last_errno = errno;
    if (last_errno == 0) return -1;  // not the expected listener: logged
    if (last_errno != EAGAIN && last_errno != ECONNREFUSED && last_errno != ENOENT &&
        last_errno != EINTR) {
      break;
    }
    if (apr_time_now() >= deadline) break;
    // Back off between attempts; a full backlog drains as daemons accept.
    poll(nullptr, 0, delay_ms);
    delay_ms = std::min(delay_ms * 2, 50);
  }
  log_request(r, APLOG_ERR, last_errno, "WSGID0105",
              "cannot connect to daemon group '%s' at %s within connect-timeout=%d s: its "
              "processes are busy, restarting or not running (see earlier log lines)",
              g.name, g.socket_path, std::max(g.connect_timeout, 1));
  return -1;
}

int ConnectionPool::take(const DaemonGroup& g) {
  for (;;) {
    int fd = -1;
    {
      std::lock_guard lock(mutex_);
      auto it = idle_.find(g.socket_path);
      if (it == idle_.end() || it->second.empty()) return -1;
      fd = it->second.back();
      it->second.pop_back();
    }
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    if (poll(&p, 1, 0) == 0) return fd;
    forget_ring(fd);
    close(fd);
  }
}

void ConnectionPool::put(const DaemonGroup& g, int fd) {
  const std::size_t cap = static_cast<std::size_t>(std::max(1, g.processes * g.threads));
  {
    std::lock_guard lock(mutex_);
    std::vector<int>& fds = idle_[g.socket_path];
    if (fds.size() < cap) {
      fds.push_back(fd);
      return;
    }
  }
  forget_ring(fd);
  close(fd);
}

ConnectionPool& idle_connections() {
  static ConnectionPool* p = new ConnectionPool;  // never destroyed: used until the child exits
  return *p;
}

}  // namespace wsgid
