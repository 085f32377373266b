#include "http_get.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "unique_fd.hpp"

namespace wsgid::status {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline`, for poll(); 0 once it has passed.
int remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on `fd`; false with `error` set on timeout or failure.
bool wait_for(int fd, short events, Clock::time_point deadline, std::string& error) {
  pollfd p{fd, events, 0};
  while (true) {
    const int n = ::poll(&p, 1, remaining(deadline));
    if (n > 0) return true;
    if (n == 0) {
      error = "timed out";
      return false;
    }
    if (errno != EINTR) {
      error = std::strerror(errno);
      return false;
    }
  }
}

std::optional<HttpResponse> parse_response(const std::string& raw) {
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  if (!raw.starts_with("HTTP/1.") || raw.size() < 12 || raw[8] != ' ') return std::nullopt;
  HttpResponse response;
  const auto [end, error] = std::from_chars(raw.data() + 9, raw.data() + 12, response.status);
  if (error != std::errc{} || end != raw.data() + 12) return std::nullopt;
  const auto body = raw.find("\r\n\r\n");
  if (body == std::string::npos) return std::nullopt;
  response.body = raw.substr(body + 4);
  return response;
}

}  // namespace

profile::ListenAddress connect_address(const profile::ListenAddress& listen) {
  if (listen.host.empty() || listen.host == "0.0.0.0") return {"127.0.0.1", listen.port};
  if (listen.host == "[::]") return {"[::1]", listen.port};
  return listen;
}

HttpResult http_get(const profile::ListenAddress& address, std::string_view path,
                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const profile::ListenAddress target = connect_address(address);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (target.host.front() == '[') {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(target.port);
    const std::string inner = target.host.substr(1, target.host.size() - 2);
    if (inet_pton(AF_INET6, inner.c_str(), &v6->sin6_addr) != 1) return {{}, "bad address"};
    length = sizeof *v6;
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(target.port);
    if (inet_pton(AF_INET, target.host.c_str(), &v4->sin_addr) != 1) return {{}, "bad address"};
    length = sizeof *v4;
  }
  const UniqueFd fd(::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return {{}, std::strerror(errno)};
  std::string error;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    if (errno != EINPROGRESS) return {{}, std::strerror(errno)};
    if (!wait_for(fd.get(), POLLOUT, deadline, error)) return {{}, error};
    int status = 0;
    socklen_t size = sizeof status;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &status, &size);
    if (status != 0) return {{}, std::strerror(status)};
  }
  // Health endpoints answer whatever the Host is; "localhost" keeps the request unremarkable.
  const std::string request = "GET " + std::string(path) +
                              " HTTP/1.0\r\nHost: localhost\r\nUser-Agent: wsgid-status\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLOUT, deadline, error)) return {{}, error};
    } else if (n < 0 && errno != EINTR) {
      return {{}, std::strerror(errno)};
    }
  }
  std::string raw;
  char buffer[16384];
  while (true) {
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n > 0) {
      raw.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLIN, deadline, error)) return {{}, error};
    } else if (errno != EINTR) {
      return {{}, std::strerror(errno)};
    }
  }
  auto response = parse_response(raw);
  if (!response) return {{}, "not an HTTP response"};
  return {std::move(response), ""};
}

}  // namespace wsgid::status
