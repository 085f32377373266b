// The profile stage's entry point: file -> validated model, or every problem found.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "diagnostic.hpp"
#include "model.hpp"

namespace wsgid::profile {

struct LoadResult {
  std::optional<Profile> profile;       // set exactly when diagnostics is empty
  std::vector<Diagnostic> diagnostics;  // ordered by position in the file
  std::vector<Diagnostic> warnings;     // reported either way (an expiring certificate)
};

// `file` is reported as given; relative paths inside the profile resolve against its directory.
LoadResult load_profile(const std::string& file);

// The same for text already in memory (tests, stdin); `file` names it in diagnostics and its
// directory anchors relative paths.
LoadResult load_profile_text(std::string_view text, const std::string& file);

}  // namespace wsgid::profile
