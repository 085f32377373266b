#include "daemon_recycle.hpp"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <system_error>
#include <thread>

namespace wsgid::supervise {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollInterval{20};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The parent pid from /proc/PID/stat: the field after the command, which is in parentheses
// and may itself contain spaces and parentheses.
pid_t parent_of(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return -1;
  const auto start = stat.find(' ', close + 3);  // ") S PPID": skip the state
  if (start == std::string::npos) return -1;
  pid_t ppid = -1;
  std::from_chars(stat.data() + start + 1, stat.data() + stat.size(), ppid);
  return ppid;
}

// Running, not exited: a zombie (exited, its parent has not reaped it yet) counts as gone.
bool running(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' &&
         stat[close + 2] != 'X';
}

template <typename Predicate>
bool wait_until(Clock::time_point deadline, Predicate done) {
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

}  // namespace

std::vector<pid_t> daemon_processes(pid_t parent) {
  std::vector<pid_t> out;
  const std::string parent_cmdline = read_file("/proc/" + std::to_string(parent) + "/cmdline");
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size() || parent_of(pid) != parent) {
      continue;
    }
    const std::string cmdline = read_file(entry.path() / "cmdline");
    if (!cmdline.empty() && cmdline != parent_cmdline) out.push_back(pid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int recycle_daemons(pid_t parent, std::chrono::seconds per_daemon, std::ostream& err) {
  const std::vector<pid_t> old = daemon_processes(parent);
  const std::size_t wanted = old.size();
  int recycled = 0;
  for (const pid_t pid : old) {
    if (::kill(pid, SIGUSR1) != 0) continue;  // gone already: its replacement has the new files
    const auto deadline = Clock::now() + per_daemon;
    const bool replaced = wait_until(deadline, [&] {
      return !running(parent) || (!running(pid) && daemon_processes(parent).size() >= wanted);
    });
    if (!running(parent)) break;  // httpd is gone: the supervisor reaps it next
    if (!replaced) {
      err << "wsgid: WSGID2060: daemon process " << pid << " was not drained and replaced within "
          << per_daemon.count()
          << " s of SIGUSR1 (a request longer than the group's graceful_timeout, or its "
             "replacement failing to start: see the site's error log); recycling the next"
          << std::endl;
      continue;
    }
    ++recycled;
  }
  return recycled;
}

}  // namespace wsgid::supervise
