#include "group_credential.hpp"

#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "log.hpp"

namespace wsgid {

bool make_credential(GroupCredential& c) {
  std::size_t have = 0;
  while (have < sizeof c.secret) {
    const ssize_t n = getrandom(c.secret + have, sizeof c.secret - have, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    have += static_cast<std::size_t>(n);
  }
  wire::encode_hello(c.secret, c.hello);
  return true;
}

void wipe_credential(GroupCredential& c) { explicit_bzero(&c, sizeof c); }

bool listener_is_expected(request_rec* r, int fd, const char* group, const char* path,
                          pid_t expected) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == expected) {
    return true;
  }
  log_request(r, APLOG_CRIT, 0, "WSGID0150",
              "the socket %s of daemon group '%s' is held by pid %d, not by httpd (pid %d) "
              "that created it: another process replaced the socket file, so the group's secret "
              "is not sent to it; make the WSGISocketPrefix directory writable by root only, "
              "and restart httpd",
              path, group, static_cast<int>(cred.pid), static_cast<int>(expected));
  return false;
}

}  // namespace wsgid
