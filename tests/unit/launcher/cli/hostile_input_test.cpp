// Hostile input to the real `wsgid` binary, each case once found by fuzzing `wsgid check`: it
// must end within a deadline, never by a signal, with the documented exit code, the stable
// error code and one line per problem (control characters escaped, long values truncated).
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.hpp"
#include "wsgid_process.hpp"

namespace wsgid::testing {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  bool finished = false;  // false: still running at the deadline (then killed)
  int exit_code = -1;     // set when it exited
  int signal = 0;         // set when a signal ended it
  std::string out;
  std::string err;
};

// Runs wsgid with `args` under a 1 GiB address-space limit (a runaway read fails instead of
// eating the machine), output to files in `dir`.
Outcome run_wsgid(const std::vector<std::string>& args, const fs::path& dir,
                  std::chrono::seconds limit = 5s) {
  // WSGID_UNDER_TEST runs these cases against another build (e.g. one without a fix).
  const char* other = std::getenv("WSGID_UNDER_TEST");
  std::vector<std::string> full{other != nullptr ? other : WSGID_EXECUTABLE};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : full) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string out_file = (dir / "wsgid.out").string();
  const std::string err_file = (dir / "wsgid.err").string();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const rlimit memory{1UL << 30, 1UL << 30};
    ::setrlimit(RLIMIT_AS, &memory);
    const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  Outcome outcome;
  int status = 0;
  outcome.finished = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, limit);
  if (!outcome.finished) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  } else if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
  outcome.out = read(out_file);
  outcome.err = read(err_file);
  return outcome;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A site directory with an app script and a static directory, and a profile written into it.
class Site {
 public:
  Site() {
    std::ofstream(dir_.path() / "app.py") << "def application(environ, start_response): pass\n";
    fs::create_directory(dir_.path() / "static");
  }
  const fs::path& dir() const { return dir_.path(); }
  fs::path write(const std::string& toml, const std::string& name = "site.toml") const {
    std::ofstream(dir_.path() / name) << toml;
    return dir_.path() / name;
  }

 private:
  TempDir dir_;
};

constexpr std::string_view kSite =
    "[[site]]\nname = \"shop\"\nserver_name = \"shop.example.com\"\napp = \"app.py\"\n";

// `wsgid check` on `toml`: ends in time, by exit 3, reporting `code`, one line per problem,
// each naming the file with a position and none longer than a terminal can sensibly show.
void expect_refused(const std::string& toml, std::string_view code) {
  Site site;
  const fs::path profile = site.write(toml);
  const auto outcome = run_wsgid({"check", profile.string()}, site.dir());
  ASSERT_TRUE(outcome.finished) << "wsgid check did not finish within 5 s";
  ASSERT_EQ(outcome.signal, 0) << "wsgid check died of signal " << outcome.signal;
  EXPECT_EQ(outcome.exit_code, 3) << outcome.err.substr(0, 2000);
  EXPECT_NE(outcome.err.find("error " + std::string(code) + ":"), std::string::npos)
      << outcome.err.substr(0, 2000);
  const auto all = lines(outcome.err);
  ASSERT_GE(all.size(), 2U);
  for (std::size_t i = 0; i + 1 < all.size(); ++i) {
    EXPECT_TRUE(all[i].starts_with(profile.string() + ":")) << all[i].substr(0, 300);
    EXPECT_LT(all[i].size(), 1000U) << all[i].substr(0, 300);
  }
  EXPECT_EQ(all.back(), profile.string() + ": " + std::to_string(all.size() - 1) +
                            (all.size() == 2 ? " error" : " errors"));
}

const std::string kLongPath = [] {
  std::string path;
  while (path.size() < 100'000) path += "/a";
  return path;
}();

TEST(HostileInput, LongHealthPathIsRefusedWithoutCrashing) {
  expect_refused("[server.health]\nliveness = \"" + kLongPath + "\"\n" + std::string(kSite),
                 "WSGID1050");
}

TEST(HostileInput, LongMountIsRefusedWithoutCrashing) {
  expect_refused(std::string(kSite) + "mount = \"" + kLongPath + "\"\n", "WSGID1050");
}

TEST(HostileInput, LongModuleAppIsRefusedWithoutCrashing) {
  std::string module;
  while (module.size() < 100'000) module += "a.";
  expect_refused("[[site]]\nname = \"shop\"\nserver_name = \"shop.example.com\"\napp = \"" +
                     module + "a:app\"\n",
                 "WSGID1050");
}

TEST(HostileInput, LongEnvNameIsRefusedWithoutCrashing) {
  expect_refused(std::string(kSite) + "[site.env]\n" + std::string(100'000, 'A') + " = \"x\"\n",
                 "WSGID1050");
}

TEST(HostileInput, LongStaticUrlPathIsRefusedWithoutCrashing) {
  expect_refused(std::string(kSite) + "[site.static]\n\"" + kLongPath + "\" = \"static\"\n",
                 "WSGID1050");
}

TEST(HostileInput, LongSandboxNamesAreRefusedInTime) {
  const std::string name(100'000, 'p');
  expect_refused(std::string(kSite) + "[site.sandbox]\nallow = [\"" + name + "\"]\ndeny = [\"@" +
                     name + "\"]\n",
                 "WSGID1050");
}

TEST(HostileInput, ADeviceAsProfileIsRefusedInTime) {
  TempDir dir;
  const auto outcome = run_wsgid({"check", "/dev/zero"}, dir.path());
  ASSERT_TRUE(outcome.finished) << "wsgid check /dev/zero did not finish within 5 s";
  ASSERT_EQ(outcome.signal, 0);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_TRUE(outcome.err.starts_with("/dev/zero: error WSGID1051: ")) << outcome.err;
}

TEST(HostileInput, AFifoAsProfileIsRefusedWithoutWaitingForAWriter) {
  TempDir dir;
  const fs::path fifo = dir.path() / "site.toml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto outcome = run_wsgid({"check", fifo.string()}, dir.path());
  ASSERT_TRUE(outcome.finished) << "wsgid check on a FIFO did not finish within 5 s";
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_TRUE(outcome.err.starts_with(fifo.string() + ": error WSGID1051: ")) << outcome.err;
}

TEST(HostileInput, AHugeProfileIsRefusedUnread) {
  Site site;
  const fs::path profile = site.write(std::string(kSite) + "# " + std::string(2 << 20, 'x'));
  const auto outcome = run_wsgid({"check", profile.string()}, site.dir());
  ASSERT_TRUE(outcome.finished);
  ASSERT_EQ(outcome.signal, 0);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_TRUE(outcome.err.starts_with(profile.string() + ": error WSGID1052: ")) << outcome.err;
}

TEST(HostileInput, ANewlineInOutOrModuleIsAUsageError) {
  Site site;
  const fs::path profile = site.write(std::string(kSite));
  for (const auto& option : {"--out", "--module"}) {
    std::vector<std::string> args{"render", profile.string(), "--out",
                                  (site.dir() / "out").string()};
    if (option == std::string("--out")) {
      args[3] += "\nDefine INJECTED";
    } else {
      args.insert(args.end(), {"--module", "/m/mod_wsgid.so\nDefine INJECTED"});
    }
    const auto outcome = run_wsgid(args, site.dir());
    ASSERT_TRUE(outcome.finished);
    ASSERT_EQ(outcome.signal, 0) << option;
    EXPECT_EQ(outcome.exit_code, 2) << option << ": " << outcome.err;
    EXPECT_TRUE(outcome.err.starts_with("wsgid: error WSGID2050: " + std::string(option)))
        << outcome.err;
    EXPECT_EQ(lines(outcome.err).size(), 1U) << outcome.err;
  }
}

TEST(HostileInput, ANewlineInTheProfilesDirectoryCannotInjectADirective) {
  // A module app resolves no path, so only the "generated from" comment carried the newline.
  for (const std::string app : {"app.py", "pkg.mod:app"}) {
    TempDir root;
    const fs::path dir = root.path() / "p\nDefine INJECTED";
    fs::create_directory(dir);
    std::ofstream(dir / "app.py") << "def application(environ, start_response): pass\n";
    std::ofstream(dir / "site.toml")
        << "[[site]]\nname = \"shop\"\nserver_name = \"shop.example.com\"\napp = \"" << app
        << "\"\n";
    const auto outcome =
        run_wsgid({"render", (dir / "site.toml").string(), "--out", (root.path() / "out").string()},
                  root.path());
    ASSERT_TRUE(outcome.finished);
    ASSERT_EQ(outcome.signal, 0) << app;
    EXPECT_EQ(outcome.exit_code, 3) << app << ": " << outcome.err;
    EXPECT_NE(outcome.err.find("error WSGID1053: "), std::string::npos) << outcome.err;
    EXPECT_EQ(lines(outcome.err).size(), 2U) << outcome.err;
    const std::string conf = read(root.path() / "out" / "httpd.conf");
    EXPECT_EQ(conf.find("\nDefine INJECTED"), std::string::npos) << conf;
  }
}

TEST(HostileInput, ControlCharactersInValuesNeverBreakADiagnosticLine) {
  // The walker and the sandbox and duplicate-name checks all echo these values.
  expect_refused(
      "[[site]]\nname = \"a\\nb\"\nserver_name = \"a.example.com\"\napp = \"app.py\"\n"
      "[site.sandbox]\nallow = [\"ptrace\\nDefine X\", \"@net\\rwork\"]\n"
      "[[site]]\nname = \"a\\nb\"\nserver_name = \"b.example.com\"\napp = \"app.py\"\n",
      "WSGID1005");
}

TEST(HostileInput, AccountsHttpdCannotUseAreRefused) {
  expect_refused("[server]\nuser = \"no-such-user-wsgid\"\n" + std::string(kSite), "WSGID1054");
  expect_refused("[server]\ngroup = \"no-such-group-wsgid\"\n" + std::string(kSite), "WSGID1054");
  expect_refused(std::string(kSite) + "[site.daemon]\nuser = \"no-such-user-wsgid\"\n",
                 "WSGID1054");
  expect_refused("[server]\nuser = \"root\"\n" + std::string(kSite), "WSGID1055");
  expect_refused("[server]\ngroup = \"#0\"\n" + std::string(kSite), "WSGID1055");
  expect_refused(std::string(kSite) + "[site.daemon]\ngroup = \"root\"\n", "WSGID1055");
}

TEST(HostileInput, GlobCharactersInUrlPathsAreRefused) {
  expect_refused(std::string(kSite) + "mount = \"/sh*p\"\n", "WSGID1056");
  expect_refused(std::string(kSite) + "[site.static]\n\"/st*\" = \"static\"\n", "WSGID1056");
  expect_refused("[server.health]\nmetrics = \"/-/m*\"\n" + std::string(kSite), "WSGID1056");
}

TEST(HostileInput, GlobCharactersInSectionPathsAreRefused) {
  Site site;
  std::ofstream(site.dir() / "a*p.py") << "def application(environ, start_response): pass\n";
  fs::create_directory(site.dir() / "st[1]");
  fs::create_directory(site.dir() / "d?r");
  std::ofstream(site.dir() / "d?r" / "app.py") << "\n";
  const std::string base = "[[site]]\nname = \"shop\"\nserver_name = \"shop.example.com\"\n";
  for (const std::string& toml : {base + "app = \"a*p.py\"\n", base + "app = \"d?r/app.py\"\n",
                                  std::string(kSite) + "[site.static]\n\"/s\" = \"st[1]\"\n"}) {
    const fs::path profile = site.write(toml);
    const auto outcome = run_wsgid({"check", profile.string()}, site.dir());
    ASSERT_TRUE(outcome.finished);
    EXPECT_EQ(outcome.exit_code, 3) << toml;
    EXPECT_NE(outcome.err.find("error WSGID1056:"), std::string::npos) << outcome.err;
  }
}

TEST(HostileInput, Ipv4MappedNetworksAreRefused) {
  expect_refused("[server.health]\nallow = [\"::ffff:10.0.0.0/104\"]\n" + std::string(kSite),
                 "WSGID1029");
  expect_refused("[server.health]\nallow = [\"::ffff:127.0.0.1\"]\n" + std::string(kSite),
                 "WSGID1029");
}

}  // namespace
}  // namespace wsgid::testing
