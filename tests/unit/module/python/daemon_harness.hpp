// Runs wsgid_python.so's daemon_main in a forked child on a UNIX socket in a short temp dir,
// and speaks the wire protocol to it from the test process, as an httpd worker would.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "poll.hpp"
#include "scoreboard.h"
#include "temp_dir.hpp"
#include "shared_ring.hpp"
#include "wire_protocol.hpp"

namespace wsgid::test {

using namespace std::chrono_literals;
using Pairs = std::vector<std::pair<std::string, std::string>>;

using wsgid::testing::TempDir;

struct Preload {
  std::string script;
  std::string application_group;
  std::optional<std::string> callable;
};

struct DaemonOptions {
  int threads = 2;
  int processes = 1;
  long maximum_requests = 0;
  double graceful_timeout = 20;
  double shutdown_timeout = 20;
  double socket_timeout = 20;
  double request_timeout = 0;
  double inactivity_timeout = 0;
  double restart_interval = 0;
  double cpu_time_limit = 0;
  std::uint64_t memory_limit = 0;
  double startup_timeout = 0;
  int use_hash_seed = -1;
  unsigned long hash_seed = 0;
  bool restrict_stdout = false;
  std::string python_home;          // "" = unset
  std::string lang;                 // "" = unset
  std::string locale;               // "" = unset
  std::vector<uid_t> allowed_uids;  // empty: {getuid()}
  std::vector<Preload> preloads;
  std::vector<std::string> python_path;
  int log_level = 5;  // APLOG_NOTICE: the daemon's own notices are tested for
  wsgid_process_slot* process_slot = nullptr;
  wsgid_group_slot* group_slot = nullptr;
  // Embedded mode: control_fifo is a FIFO the daemon reads drain requests from.
  bool embedded = false;
  std::string control_fifo;
  // The peer must be a child of this pid (0: no such check), as httpd's workers are of
  // httpd's parent.
  pid_t peer_parent_pid = 0;
};

// The connection secret every daemon the harness starts has; Client::hello proves it.
extern const unsigned char kTestSecret[wire::kSecretSize];

// A group's scoreboard slot in memory shared with the daemons the test forks, as the httpd
// parent's scoreboard is: process slot 0 starts in state STARTING, as after the parent's fork.
class SharedGroupSlot {
 public:
  SharedGroupSlot();
  ~SharedGroupSlot();
  SharedGroupSlot(const SharedGroupSlot&) = delete;
  SharedGroupSlot& operator=(const SharedGroupSlot&) = delete;
  wsgid_group_slot* group() const { return group_; }
  wsgid_process_slot* process() const { return &group_->processes_slots[0]; }
  // Relaxed atomic reads, as the parent and the workers read them.
  int state() const;
  int busy_threads() const;
  std::uint64_t requests() const;
  int exit_reason() const;
  std::uint64_t queue_wait_count() const;
  // Polls `read` until it equals `want` or the deadline passes; true if it did.
  template <typename Read, typename T>
  bool wait_for(Read read, T want, std::chrono::milliseconds timeout = 20s) const;

 private:
  wsgid_group_slot* group_;
};

struct Frame {
  wire::FrameType type{};
  std::uint8_t flags = 0;
  std::string payload;
};

struct Response {
  int status = 0;
  std::string reason;
  Pairs headers;
  std::string body;
  int body_frames = 0;
  int file_frames = 0;         // ResponseFile frames (their bytes are read into body)
  int ring_frames = 0;         // ResponseRing frames (counted in body_frames too)
  bool ended = false;          // ResponseEnd arrived
  std::uint8_t end_flags = 0;  // ResponseEnd's flags (kKeepAlive: the daemon keeps the connection)
  std::string header(const std::string& name) const;
};

class Client {
 public:
  explicit Client(int fd) : fd_(fd) {}
  ~Client();
  Client(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send_raw(const std::string& bytes);
  void hello();
  void head(const Pairs& pairs);
  void body(const std::string& data);  // split into frames of at most kMaxBodyPayload
  void end();
  // The next frame, or nullopt when the daemon closed the connection. Fails the test on timeout.
  std::optional<Frame> read_frame(std::chrono::milliseconds timeout = 20s);
  // Frames until ResponseEnd or close.
  Response read_response(std::chrono::milliseconds timeout = 20s);
  // Hello + head + body + end, then the response.
  Response request(const Pairs& pairs, const std::string& body = {});
  // The same without Hello: the next request on a kept connection.
  Response next_request(const Pairs& pairs, const std::string& body = {});
  // True once the daemon has closed its side.
  bool closed_by_peer(std::chrono::milliseconds timeout = 20s);

 private:
  int fd_;
  wire::FrameDecoder decoder_;
  std::vector<int> fds_;   // descriptors received with ResponseFile and Ring frames, in order
  ring::RingReader ring_;  // the connection's ring, as a worker maps it
};

class Daemon {
 public:
  Daemon(const TempDir& dir, DaemonOptions options = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& socket_path() const { return socket_path_; }
  Client connect() const;
  // 0 if a connection could be made (it is closed at once), else errno.
  int connect_error() const;
  // Exit status (as from waitpid) once the child is gone, or nullopt at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 20s);
  std::string log() const;
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout = 20s) const;

 private:
  int try_connect() const;  // fd, or -errno
  std::string socket_path_;
  std::string log_path_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = false;
};

// A connection made to the daemon by a process `generations` below this one (1: a child, 2: a
// grandchild), which stays alive, so the daemon can look it up in /proc, until this goes. The
// test speaks on it: the socket is shared, its peer credentials are the connecting process's.
class DescendantConnection {
 public:
  DescendantConnection(const Daemon& daemon, int generations);
  ~DescendantConnection();
  DescendantConnection(const DescendantConnection&) = delete;
  DescendantConnection& operator=(const DescendantConnection&) = delete;
  Client& client() { return *client_; }
  pid_t connector() const { return connector_; }

 private:
  pid_t child_ = -1;
  pid_t connector_ = -1;
  int release_fd_ = -1;
  std::optional<Client> client_;
};

template <typename Read, typename T>
bool SharedGroupSlot::wait_for(Read read, T want, std::chrono::milliseconds timeout) const {
  // The daemon signals nothing when it updates shared memory: check it with a deadline.
  return testing::eventually([&] { return read() == want; }, timeout, 5ms);
}

// CGI variables as httpd's worker sends them for a request to `script`.
Pairs cgi(const std::string& script, const std::string& method = "GET",
          const std::string& path_info = "/", const Pairs& extra = {});

}  // namespace wsgid::test
