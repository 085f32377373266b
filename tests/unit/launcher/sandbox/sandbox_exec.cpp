// Test tool: compiles a policy, loads it, then execs a command under it. Lets the test suite run
// real Python apps under the filter from their first instruction.
// Usage: sandbox_exec [--allow NAME]... [--deny NAME]... [--action errno|kill|log]
//                     (-- CMD ARGS... | --write FILE)
// --write only compiles to FILE, for a process that loads the filter itself later.
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "filter_loader.hpp"
#include "policy.hpp"

int main(int argc, char** argv) {
  using namespace wsgid::sandbox;
  Policy policy;
  std::string write_to;
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; i += 2) {
    if (i + 1 >= argc) {
      std::cerr << "sandbox_exec: " << argv[i] << " needs a value\n";
      return 2;
    }
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--allow") {
      policy.allow.push_back(value);
    } else if (flag == "--deny") {
      policy.deny.push_back(value);
    } else if (flag == "--write") {
      write_to = value;
    } else if (flag == "--action" && parse_action(value)) {
      policy.action = *parse_action(value);
    } else {
      std::cerr << "sandbox_exec: bad argument " << flag << " " << value << '\n';
      return 2;
    }
  }
  if (!write_to.empty()) {
    const CompiledFilter compiled = compile(policy);
    std::string error;
    if (compiled.ok() && write_filter_file(write_to, compiled.program, error)) return 0;
    std::cerr << "sandbox_exec: " << (compiled.ok() ? error : compiled.error) << '\n';
    return 2;
  }
  if (i + 1 >= argc) {
    std::cerr << "usage: sandbox_exec [--allow N]... [--deny N]... [--action A] (-- CMD... | "
                 "--write F)\n";
    return 2;
  }
  const CompiledFilter compiled = compile(policy);
  std::string error;
  if (!compiled.ok() || !wsgid::seccomp::load_filter(compiled.program, error)) {
    std::cerr << "sandbox_exec: " << (compiled.ok() ? error : compiled.error) << '\n';
    return 2;
  }
  execv(argv[i + 1], argv + i + 1);
  std::cerr << "sandbox_exec: exec " << argv[i + 1] << ": " << std::strerror(errno) << '\n';
  return 127;
}
