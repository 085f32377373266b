// Who may talk to a daemon: httpd's own worker processes of the current server, and nobody
// else of the same uid (docs/security.md, "Daemon connections"). A connection is checked
// twice: its SO_PEERCRED when it is accepted (uid; for a forked daemon, that the peer is a
// child of httpd's parent; in embedded mode, that it is the worker itself), then its Hello,
// which must prove the group's secret. Nothing a refused peer sent reaches Python.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "python_abi.h"
#include "verified_peers.hpp"

namespace wsgid::python {

struct Peer {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  std::string describe() const;  // "pid 123 uid 33"
};

// Why a peer was refused: a WSGIDnnnn code and a sentence naming the fix.
struct Refusal {
  const char* code;
  std::string reason;
};

class PeerPolicy {
 public:
  // Looks once whether /proc can be read (it may not be mounted under chroot=); without it the
  // parent check is skipped with a notice and the secret alone decides.
  explicit PeerPolicy(const wsgid_daemon_spec& spec);

  // The connection's SO_PEERCRED; nullopt (errno set) when the kernel does not say.
  static std::optional<Peer> peer_of(int fd);

  // At accept: may the process at the other end of `connection` connect at all? A worker
  // process already shown to be httpd's is not read from /proc again (verified_peers.hpp).
  std::optional<Refusal> check_peer(const Peer& peer, int connection);
  // The first frame of the connection: does it prove the group's secret?
  std::optional<Refusal> check_hello(bool is_hello, std::string_view payload) const;

 private:
  const wsgid_daemon_spec& spec_;
  bool parent_check_ = false;
  VerifiedPeers verified_;
};

// The parent pid in /proc/<pid>/stat, or -1 (errno set) when it cannot be read.
pid_t parent_pid_of(pid_t pid);

}  // namespace wsgid::python
