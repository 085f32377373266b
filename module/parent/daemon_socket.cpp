#include "daemon_socket.hpp"

#include <http_log.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "log.hpp"
#include "unix_address.hpp"

namespace wsgid {

int create_daemon_socket(server_rec* s, const char* group, const char* path, int backlog,
                         uid_t owner) {
  const auto addr = unix_address(path);
  if (!addr) {
    log_server(s, APLOG_CRIT, 0, "WSGID0201",
               "socket path %s for daemon group '%s' is longer than %zu bytes: set a shorter "
               "WSGISocketPrefix",
               path, group, kMaxUnixPath);
    return -1;
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    log_server(s, APLOG_CRIT, errno, "WSGID0202", "cannot create socket for daemon group '%s'",
               group);
    return -1;
  }
  unlink(path);
  // Bind under a tight umask so the socket is never briefly connectable by others.
  const mode_t old_umask = umask(0077);
  const int rc = bind(fd, addr->get(), addr->length);
  umask(old_umask);
  if (rc != 0) {
    log_server(s, APLOG_CRIT, errno, "WSGID0202",
               "cannot bind socket %s for daemon group '%s': check that the WSGISocketPrefix "
               "directory exists and is writable",
               path, group);
    close(fd);
    return -1;
  }
  if (chmod(path, 0600) != 0 ||
      (geteuid() == 0 && chown(path, owner, static_cast<gid_t>(-1)) != 0)) {
    log_server(s, APLOG_CRIT, errno, "WSGID0202",
               "cannot set owner/mode of socket %s for daemon group '%s'", path, group);
    close(fd);
    unlink(path);
    return -1;
  }
  if (listen(fd, backlog) != 0) {
    log_server(s, APLOG_CRIT, errno, "WSGID0202",
               "cannot listen on socket %s for daemon group '%s'", path, group);
    close(fd);
    unlink(path);
    return -1;
  }
  return fd;
}

}  // namespace wsgid
