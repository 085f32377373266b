// Invoking httpd: which binary, and `apache2 -t` on a rendered config.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace wsgid::supervise {

// $WSGID_HTTPD if set, else the apache2 found at build time.
std::string httpd_binary();

struct CommandResult {
  int exit_status = -1;  // -1 when it could not be started or did not exit normally
  std::string output;    // stdout and stderr interleaved
};

// Runs argv[0] with argv (no shell), capturing its output.
CommandResult run_capturing(const std::vector<std::string>& argv);

// `httpd -t -f CONF`: a syntax and semantic check of the rendered config.
CommandResult check_config(const std::filesystem::path& httpd_conf);

}  // namespace wsgid::supervise
