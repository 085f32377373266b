// One problem found in a profile, located precisely enough for an editor to jump to it.
#pragma once

#include <string>
#include <vector>

namespace wsgid::profile {

struct Diagnostic {
  std::string code;  // stable, documented in docs/profile-reference.md (WSGID1xxx)
  std::string file;  // as the user named it, so messages match what they typed
  int line = 0;      // 1-based; 0 when the problem has no position (unreadable file)
  int column = 0;
  std::string key_path;  // e.g. site[1].daemon.processes; empty for file-level problems
  std::string message;   // names the bad value and what is accepted
  bool warning = false;  // reported, but the profile still loads (an expiring certificate)
};

// "FILE:LINE:COL: error WSGID1012: KEY.PATH: MESSAGE" ("warning" for a warning)
std::string format(const Diagnostic& d);

// Editors and humans read diagnostics top to bottom, so order them as the file is.
void sort_by_position(std::vector<Diagnostic>& diagnostics);

}  // namespace wsgid::profile
