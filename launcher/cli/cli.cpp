#include "cli.hpp"

#include <array>
#include <exception>
#include <ostream>

#include "commands.hpp"
#include "exit_code.hpp"
#include "profile/display_text.hpp"
#include "profile/walker.hpp"
#include "profile/python_home.hpp"

namespace wsgid::cli {
namespace {

constexpr std::array<std::string_view, 0> kNoOptions{};
constexpr std::array<std::string_view, 3> kRenderOptions{"--out", "--module", "--listen"};
constexpr std::array<std::string_view, 3> kRunOptions{"--out", "--module", "--listen"};
constexpr std::array<std::string_view, 1> kStatusOptions{"--listen"};
constexpr std::array<CommandSpec, 5> kCommands{{
    {"check", kNoOptions, 1, 1000},
    {"render", kRenderOptions, 1, 1},
    {"run", kRunOptions, 1, 1},
    {"status", kStatusOptions, 1, 1},
    {"seccomp", kNoOptions, 1, 1},
}};

constexpr std::string_view kUsage =
    "usage: wsgid check PROFILE...\n"
    "       wsgid render PROFILE --out DIR [--listen ADDR:PORT] [--module PATH]\n"
    "       wsgid run PROFILE [--out DIR] [--listen ADDR:PORT] [--module PATH]\n"
    "       wsgid status PROFILE [--listen ADDR:PORT]\n"
    "       wsgid seccomp groups\n"
    "       wsgid --help | --version\n";

constexpr std::string_view kHelp =
    "wsgid turns TOML site profiles into a hardened httpd running WSGI apps.\n"
    "\n"
    "commands:\n"
    "  check PROFILE...      validate profiles; print every problem with file:line:col\n"
    "  render PROFILE        write DIR/httpd.conf and DIR/sites/* (needs --out DIR)\n"
    "  run PROFILE           render, check with apache2 -t, and run httpd in the foreground\n"
    "  status PROFILE        ask the running instance (its first listen address) whether it\n"
    "                        is ready, and print its daemon groups' figures; exit 1 if not\n"
    "  seccomp groups        list the syscall groups a sandbox section may name\n"
    "\n"
    "options:\n"
    "  --out DIR             where to render (run: default is a fresh directory under /tmp)\n"
    "  --listen ADDR:PORT    replace the profile's listen addresses (e.g. 127.0.0.1:8080);\n"
    "                        status: the address to ask (wildcards are asked on loopback)\n"
    "  --module PATH         mod_wsgid.so to load (default: $WSGID_MODULE, the build tree's,\n"
    "                        then /usr/lib/apache2/modules/mod_wsgid.so)\n"
    "\n"
    "exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 invalid profile\n"
    "See docs/cli.md and docs/profile-reference.md.\n";

// Option values are written into httpd.conf, where a control character would end the
// directive (and start one of the attacker's); refuse them before anything runs.
bool options_are_printable(const Arguments& arguments, std::ostream& err) {
  for (const auto& [name, value] : arguments.options) {
    if (profile::walkable_text(value)) continue;
    err << "wsgid: error WSGID2050: " << name << " " << profile::quote(value)
        << " contains a control character or is longer than " << profile::kMaxStringBytes
        << " bytes; give a plain path or address\n";
    return false;
  }
  return true;
}

int dispatch(const Arguments& arguments, std::ostream& out, std::ostream& err) {
  if (arguments.command == "check") return check_command(arguments, out, err);
  if (arguments.command == "render") return render_command(arguments, out, err);
  if (arguments.command == "run") return run_command(arguments, out, err);
  if (arguments.command == "status") return status_command(arguments, out, err);
  return seccomp_command(arguments, out, err);
}

}  // namespace

int run_cli(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  const ParseResult parsed = parse_arguments(args, kCommands);
  if (!parsed.arguments) {
    err << "wsgid: " << profile::escape_control(parsed.error) << "\n" << kUsage;
    return kUsageError;
  }
  const Arguments& arguments = *parsed.arguments;
  if (arguments.help) {
    out << kUsage << "\n" << kHelp;
    return kOk;
  }
  if (arguments.command == "--version") {
    out << "wsgid " << WSGID_VERSION << " (CPython " << profile::embedded_python_release() << ")\n";
    return kOk;
  }
  if (!options_are_printable(arguments, err)) return kUsageError;
  // The last line of defence: whatever a command missed ends as a coded error, not an abort.
  try {
    return dispatch(arguments, out, err);
  } catch (const std::exception& error) {
    err << "wsgid: error WSGID2051: internal error: " << profile::escape_control(error.what())
        << "; please report it with the command and profile that caused it\n";
    return kRuntimeFailure;
  }
}

}  // namespace wsgid::cli
