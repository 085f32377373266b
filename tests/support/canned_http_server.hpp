// A loopback server that answers its first N connections with canned responses, one each, in
// order: for testing HTTP clients without a real httpd.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <future>
#include <string>
#include <vector>

namespace wsgid::testing {

class CannedHttpServer {
 public:
  explicit CannedHttpServer(std::vector<std::string> responses) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 8);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    served_ = std::async(std::launch::async, [this, responses = std::move(responses)] {
      std::vector<std::string> requests;
      for (const std::string& response : responses) {
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) break;
        std::string request;
        char buffer[1024];
        while (request.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::read(client, buffer, sizeof buffer);
          if (n <= 0) break;
          request.append(buffer, static_cast<std::size_t>(n));
        }
        if (::write(client, response.data(), response.size()) < 0) request += " (unanswered)";
        ::close(client);
        requests.push_back(std::move(request));
      }
      return requests;
    });
  }
  CannedHttpServer(const CannedHttpServer&) = delete;
  CannedHttpServer& operator=(const CannedHttpServer&) = delete;
  // Wakes a still-waiting accept(), so a test that sent fewer requests still ends.
  ~CannedHttpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    if (served_.valid()) served_.wait();
    ::close(fd_);
  }

  std::uint16_t port() const { return port_; }
  // The requests received, once every response is sent (or the server was shut down).
  std::vector<std::string> requests() { return served_.get(); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::future<std::vector<std::string>> served_;
};

}  // namespace wsgid::testing
