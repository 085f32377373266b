// `wsgid run` end to end with the real httpd and mod_wsgid: readiness, SIGHUP with a broken and
// a changed profile, and SIGTERM while a request is in flight.
#include "supervise/supervisor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

#include "temp_dir.hpp"

extern char** environ;

namespace wsgid::supervise {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls `condition` every 20 ms until it holds or `limit` passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval
  }
  return condition();
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// One HTTP/1.0 GET; returns the whole response ("" if the connection failed).
std::string http_get(std::uint16_t port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET " + target + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
    }
  }
  ::close(fd);
  return response;
}

class WsgidRun {
 public:
  WsgidRun(const fs::path& dir, const fs::path& profile, std::uint16_t port) : dir_(dir) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, (dir / "stdout").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, (dir / "stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args{WSGID_EXECUTABLE,
                                  "run",
                                  profile.string(),
                                  "--listen",
                                  "127.0.0.1:" + std::to_string(port),
                                  "--module",
                                  WSGID_MODULE_PATH,
                                  "--out",
                                  (dir / "out").string()};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
  }
  WsgidRun(const WsgidRun&) = delete;
  WsgidRun& operator=(const WsgidRun&) = delete;
  ~WsgidRun() {
    if (!exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void signal(int signal) const { ::kill(pid_, signal); }
  std::string out() const { return read(dir_ / "stdout"); }
  std::string err() const { return read(dir_ / "stderr"); }

  std::optional<int> wait_exit() {
    eventually([&] {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      return exit_code_.has_value();
    });
    return exit_code_;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

constexpr std::string_view kApp = R"(import os, time
def application(environ, start_response):
    if environ.get("QUERY_STRING") == "slow":
        open(os.path.join(os.environ["MARKERS"], "slow-started"), "w").close()
        time.sleep(2)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("version=%s\n" % os.environ["VERSION"]).encode()]
)";

std::string profile_text(const fs::path& dir, std::string_view version) {
  return "[server]\ngraceful_stop_timeout = \"10s\"\n[[site]]\nname = \"sv\"\n"
         "server_name = \"localhost\"\napp = \"app.py\"\nsandbox = { seccomp = \"off\" }\n"
         "env = { VERSION = " +
         std::string(version) + ", MARKERS = \"" + (dir / "markers").string() + "\" }\n";
}

TEST(WsgidRun, ReloadsOnHupAndFinishesInFlightRequestsOnTerm) {
  wsgid::testing::TempDir temp;
  const fs::path dir = temp.path();
  // httpd's workers and the daemon run as www-data: they must reach the app and markers.
  fs::permissions(dir, fs::perms::all & ~fs::perms::group_write & ~fs::perms::others_write);
  fs::create_directory(dir / "markers");
  fs::permissions(dir / "markers", fs::perms::all);
  std::ofstream(dir / "app.py") << kApp;
  const fs::path profile = dir / "site.toml";
  std::ofstream(profile) << profile_text(dir, "\"1\"");
  const auto port = free_port();

  WsgidRun run(dir, profile, port);
  ASSERT_TRUE(eventually([&] { return run.out().find("wsgid: ready on") != std::string::npos; }))
      << run.err();
  EXPECT_TRUE(run.out().starts_with("wsgid: ready on 127.0.0.1:" + std::to_string(port) +
                                    ": sv (localhost, daemon 1x15); config "))
      << run.out();
  EXPECT_NE(http_get(port, "/").find("version=1"), std::string::npos);

  // A broken profile is reported and the running site keeps serving.
  std::ofstream(profile) << profile_text(dir, "1");
  run.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return run.err().find("keeping the running configuration") != std::string::npos;
  })) << run.err();
  EXPECT_NE(run.err().find("error WSGID1003: site[0].env.VERSION: expected a string, got "
                           "integer 1"),
            std::string::npos)
      << run.err();
  EXPECT_NE(http_get(port, "/").find("version=1"), std::string::npos);

  // A valid change is applied by a graceful restart.
  std::ofstream(profile) << profile_text(dir, "\"2\"");
  run.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return http_get(port, "/").find("version=2") != std::string::npos;
  })) << run.err();

  // SIGTERM while a 2-second request runs: it completes, then wsgid exits 0.
  auto slow = std::async(std::launch::async, [&] { return http_get(port, "/?slow"); });
  ASSERT_TRUE(eventually([&] { return fs::exists(dir / "markers" / "slow-started"); }))
      << run.err();
  run.signal(SIGTERM);
  const std::string response = slow.get();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 OK")) << response;
  EXPECT_NE(response.find("version=2"), std::string::npos) << response;
  EXPECT_EQ(run.wait_exit(), 0) << run.err();
  EXPECT_NE(run.err().find("wsgid: stopping gracefully (in-flight requests have 10 s)"),
            std::string::npos);
}

}  // namespace
}  // namespace wsgid::supervise
