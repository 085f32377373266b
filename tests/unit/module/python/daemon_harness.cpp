#include "daemon_harness.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>

#include "poll.hpp"
#include "python_abi.h"

namespace wsgid::test {
namespace {

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

[[noreturn]] void child_main(int listen_fd, const std::string& log_path, const DaemonOptions& o) {
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0 || ::dup2(log_fd, 2) < 0) ::_exit(90);
  void* so = ::dlopen(WSGID_PYTHON_SO, RTLD_NOW | RTLD_LOCAL);
  if (so == nullptr) {
    ::dprintf(2, "dlopen: %s\n", ::dlerror());
    ::_exit(91);
  }
  using Entry = const wsgid_python_api* (*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(so, WSGID_PYTHON_ENTRY_SYMBOL));
  if (entry == nullptr) ::_exit(92);
  std::vector<uid_t> uids = o.allowed_uids;
  if (uids.empty()) uids.push_back(::getuid());
  std::vector<wsgid_preload> preloads;
  for (const auto& p : o.preloads) {
    preloads.push_back({p.script.c_str(), p.application_group.c_str(),
                        p.callable ? p.callable->c_str() : nullptr});
  }
  std::vector<const char*> paths;
  for (const auto& p : o.python_path) paths.push_back(p.c_str());
  wsgid_daemon_spec spec{};
  spec.abi_version = WSGID_PYTHON_ABI_VERSION;
  spec.connection_secret = kTestSecret;
  spec.peer_parent_pid = o.peer_parent_pid;
  spec.group_name = "testgroup";
  spec.listen_fd = listen_fd;
  spec.processes = o.processes;
  spec.threads = o.threads;
  spec.maximum_requests = o.maximum_requests;
  spec.graceful_timeout = o.graceful_timeout;
  spec.shutdown_timeout = o.shutdown_timeout;
  spec.socket_timeout = o.socket_timeout;
  spec.request_timeout = o.request_timeout;
  spec.inactivity_timeout = o.inactivity_timeout;
  spec.restart_interval = o.restart_interval;
  spec.cpu_time_limit = o.cpu_time_limit;
  spec.memory_limit = o.memory_limit;
  spec.startup_timeout = o.startup_timeout;
  spec.use_hash_seed = o.use_hash_seed;
  spec.hash_seed = o.hash_seed;
  spec.restrict_stdout = o.restrict_stdout ? 1 : 0;
  spec.python_home = o.python_home.empty() ? nullptr : o.python_home.c_str();
  spec.lang = o.lang.empty() ? nullptr : o.lang.c_str();
  spec.locale = o.locale.empty() ? nullptr : o.locale.c_str();
  spec.python_path = paths.data();
  spec.python_path_count = paths.size();
  spec.allowed_peer_uids = uids.data();
  spec.allowed_peer_uid_count = uids.size();
  spec.preload = preloads.data();
  spec.preload_count = preloads.size();
  spec.log_level = o.log_level;
  spec.process_slot = o.process_slot;
  spec.group_slot = o.group_slot;
  if (o.embedded) {
    spec.embedded = 1;
    // O_RDWR: opening the FIFO neither blocks nor sees EOF while no writer is connected.
    spec.control_fd = ::open(o.control_fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (spec.control_fd < 0) ::_exit(93);
  }
  ::_exit(entry()->daemon_main(&spec));
}

}  // namespace

const unsigned char kTestSecret[wire::kSecretSize] = {
    's', 'e', 'c', 'r', 'e', 't', ' ', 'o', 'f', ' ', 't', 'h', 'e', ' ', 't', 'e',
    's', 't', ' ', 'g', 'r', 'o', 'u', 'p', ' ', '-', '-', '-', '-', '-', '-', '!'};

std::string Response::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return {};
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
  for (const int fd : fds_) ::close(fd);
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), fds_(std::move(other.fds_)) {}

void Client::send_raw(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
}

void Client::hello() {
  std::string out;
  wire::append_hello(out, kTestSecret);
  send_raw(out);
}

void Client::head(const Pairs& pairs) {
  std::vector<std::pair<std::string_view, std::string_view>> views(pairs.begin(), pairs.end());
  std::string payload, out;
  wire::append_pairs(payload, views);
  wire::append_frame(out, wire::FrameType::kRequestHead, 0, payload);
  send_raw(out);
}

void Client::body(const std::string& data) {
  for (std::size_t off = 0; off < data.size(); off += wire::kMaxBodyPayload) {
    std::string out;
    wire::append_frame(out, wire::FrameType::kRequestBody, 0,
                       std::string_view(data).substr(off, wire::kMaxBodyPayload));
    send_raw(out);
  }
}

void Client::end() {
  std::string out;
  wire::append_frame(out, wire::FrameType::kRequestEnd, 0, {});
  send_raw(out);
}

std::optional<Frame> Client::read_frame(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    wire::FrameHeader h;
    std::string_view payload;
    if (decoder_.next(h, payload)) return Frame{h.type, h.flags, std::string(payload)};
    if (decoder_.error() != wire::DecodeError::kNone) {
      throw std::runtime_error("daemon sent a malformed frame");
    }
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r == 0) throw std::runtime_error("timed out waiting for a frame from the daemon");
    if (r < 0) continue;
    char buf[65536];
    iovec v{buf, sizeof buf};
    alignas(cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &v;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    for (cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      for (std::size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        fds_.push_back(fd);
      }
    }
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return std::nullopt;
    if (n < 0) continue;
    decoder_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

Response Client::read_response(std::chrono::milliseconds timeout) {
  Response r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto f = read_frame(std::chrono::milliseconds(remaining_ms(deadline)));
    if (!f) return r;
    switch (f->type) {
      case wire::FrameType::kResponseHead: {
        wire::ResponseHead head;
        if (!wire::parse_response_head(f->payload, head)) throw std::runtime_error("bad head");
        r.status = head.status;
        r.reason = head.reason;
        for (const auto& [k, v] : head.headers) r.headers.emplace_back(k, v);
        break;
      }
      case wire::FrameType::kResponseBody:
        r.body += f->payload;
        ++r.body_frames;
        break;
      case wire::FrameType::kResponseFile: {
        std::uint64_t offset = 0, length = 0;
        if (!wire::parse_response_file(f->payload, offset, length) || fds_.empty()) {
          throw std::runtime_error("bad file frame, or no descriptor with it");
        }
        const int fd = fds_.front();
        fds_.erase(fds_.begin());
        std::string bytes(length, '\0');
        const ssize_t got = ::pread(fd, bytes.data(), length, static_cast<off_t>(offset));
        ::close(fd);
        bytes.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
        r.body += bytes;
        ++r.file_frames;
        break;
      }
      case wire::FrameType::kRing: {
        std::uint32_t size = 0;
        if (!wire::parse_ring(f->payload, size) || fds_.empty()) {
          throw std::runtime_error("bad ring frame, or no memfd with it");
        }
        const int fd = fds_.front();
        fds_.erase(fds_.begin());
        std::string why;
        if (!ring_.attach(fd, size, why)) throw std::runtime_error("unusable ring: " + why);
        break;
      }
      case wire::FrameType::kResponseRing: {
        std::uint32_t offset = 0, length = 0;
        const char* bytes = wire::parse_response_ring(f->payload, offset, length)
                                ? ring_.bytes(offset, length)
                                : nullptr;
        if (bytes == nullptr) throw std::runtime_error("bad ring body frame");
        r.body.append(bytes, length);
        ring_.release(length);
        ++r.body_frames;
        ++r.ring_frames;
        break;
      }
      case wire::FrameType::kResponseEnd:
        r.ended = true;
        r.end_flags = f->flags;
        return r;
      default:
        throw std::runtime_error("unexpected frame type from the daemon");
    }
  }
}

Response Client::request(const Pairs& pairs, const std::string& body) {
  hello();
  return next_request(pairs, body);
}

Response Client::next_request(const Pairs& pairs, const std::string& body) {
  head(pairs);
  if (!body.empty()) this->body(body);
  end();
  return read_response();
}

bool Client::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
  }
}

Daemon::Daemon(const TempDir& dir, DaemonOptions options)
    : socket_path_(dir.str() + "/d.sock"), log_path_(dir.str() + "/error.log") {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof addr.sun_path - 1);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 64) != 0) {
    throw std::runtime_error(std::string("daemon socket: ") + std::strerror(errno));
  }
  std::ofstream(log_path_).flush();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) child_main(fd, log_path_, options);
  ::close(fd);  // the daemon holds the only copy, as after httpd forks it
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
}

Daemon::~Daemon() {
  const bool failed = ::testing::Test::HasFailure() || std::uncaught_exceptions() > 0;
  if (!reaped_ && pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      if (failed) std::fprintf(stderr, "daemon had already exited, wait status %d\n", status);
    } else {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  if (failed) std::fprintf(stderr, "--- daemon log ---\n%s", log().c_str());
}

int Daemon::connect_error() const {
  const int fd = try_connect();
  if (fd < 0) return -fd;
  ::close(fd);
  return 0;
}

int Daemon::try_connect() const {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    return -err;
  }
  return fd;
}

Client Daemon::connect() const {
  const int fd = try_connect();
  if (fd < 0) throw std::runtime_error(std::string("connect: ") + std::strerror(-fd));
  return Client(fd);
}

std::optional<int> Daemon::wait_exit(std::chrono::milliseconds timeout) {
  pollfd p{pidfd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
  reaped_ = true;
  return status;
}

std::string Daemon::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Daemon::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) const {
  // The log has no change notification that works for every filesystem; each check is cheap.
  return testing::eventually([&] { return log().find(needle) != std::string::npos; }, timeout);
}

SharedGroupSlot::SharedGroupSlot() {
  void* p = ::mmap(nullptr, sizeof(wsgid_group_slot), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  group_ = new (p) wsgid_group_slot{};
  std::strncpy(group_->name, "testgroup", sizeof group_->name - 1);
  group_->configured = 1;
  group_->processes = 1;
  process()->state = WSGID_PROCESS_STARTING;
}

SharedGroupSlot::~SharedGroupSlot() { ::munmap(group_, sizeof(wsgid_group_slot)); }

int SharedGroupSlot::state() const { return __atomic_load_n(&process()->state, __ATOMIC_RELAXED); }
int SharedGroupSlot::busy_threads() const {
  return __atomic_load_n(&process()->busy_threads, __ATOMIC_RELAXED);
}
std::uint64_t SharedGroupSlot::requests() const {
  return __atomic_load_n(&process()->requests, __ATOMIC_RELAXED);
}
int SharedGroupSlot::exit_reason() const {
  return __atomic_load_n(&process()->exit_reason, __ATOMIC_RELAXED);
}
std::uint64_t SharedGroupSlot::queue_wait_count() const {
  return __atomic_load_n(&group_->queue_wait.count, __ATOMIC_RELAXED);
}

Pairs cgi(const std::string& script, const std::string& method, const std::string& path_info,
          const Pairs& extra) {
  Pairs p = {{"REQUEST_METHOD", method},
             {"SCRIPT_NAME", "/app"},
             {"PATH_INFO", path_info},
             {"QUERY_STRING", ""},
             {"REQUEST_URI", "/app" + path_info},
             {"SERVER_NAME", "localhost"},
             {"SERVER_PORT", "8080"},
             {"SERVER_PROTOCOL", "HTTP/1.1"},
             {"REMOTE_ADDR", "127.0.0.1"},
             {"REMOTE_PORT", "5555"},
             {"HTTP_HOST", "localhost:8080"},
             {"SCRIPT_FILENAME", script},
             {"mod_wsgi.process_group", "testgroup"},
             {"mod_wsgi.application_group", ""},
             {"mod_wsgi.callable_object", "application"}};
  for (const auto& [k, v] : extra) {
    bool replaced = false;
    for (auto& [pk, pv] : p) {
      if (pk == k) {
        pv = v;
        replaced = true;
      }
    }
    if (!replaced) p.emplace_back(k, v);
  }
  return p;
}

}  // namespace wsgid::test

namespace wsgid::test {

DescendantConnection::DescendantConnection(const Daemon& daemon, int generations) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int ready[2], release[2];
  if (fd < 0 || ::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(release, O_CLOEXEC) != 0) {
    throw std::runtime_error("socket/pipe2 failed");
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, daemon.socket_path().c_str(), sizeof addr.sun_path - 1);
  child_ = ::fork();
  if (child_ < 0) throw std::runtime_error("fork failed");
  if (child_ == 0) {
    ::close(release[1]);
    ::close(ready[0]);
    pid_t below = -1;
    for (int g = 1; g < generations; ++g) {
      below = ::fork();
      if (below < 0) ::_exit(1);
      if (below > 0) {  // stay the connector's parent until it is done
        int status = 0;
        ::waitpid(below, &status, 0);
        ::_exit(0);
      }
    }
    const pid_t me = ::getpid();
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(2);
    [[maybe_unused]] ssize_t n = ::write(ready[1], &me, sizeof me);
    char byte;
    n = ::read(release[0], &byte, 1);  // EOF when the test lets go
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(release[0]);
  release_fd_ = release[1];
  pollfd p{ready[0], POLLIN, 0};
  pid_t connector = -1;
  const bool ok = ::poll(&p, 1, 20000) == 1 &&
                  ::read(ready[0], &connector, sizeof connector) == sizeof connector;
  ::close(ready[0]);
  if (!ok) {
    ::close(fd);
    throw std::runtime_error("the descendant did not connect");
  }
  connector_ = connector;
  client_.emplace(fd);
}

DescendantConnection::~DescendantConnection() {
  client_.reset();
  if (release_fd_ >= 0) ::close(release_fd_);
  if (child_ > 0) {
    int status = 0;
    ::waitpid(child_, &status, 0);
  }
}

}  // namespace wsgid::test
