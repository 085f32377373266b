// Thin entry point: everything lives in launcher/cli so it can be tested in-process.
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return wsgid::cli::run_cli(args, std::cout, std::cerr);
}
