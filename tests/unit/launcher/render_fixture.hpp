// Loading a valid fixture profile for the render tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "profile/load.hpp"

namespace wsgid::testing {

inline const std::filesystem::path kFixtures = WSGID_FIXTURES_DIR;

inline profile::Profile load_valid_fixture(const std::string& name) {
  auto result = profile::load_profile((kFixtures / "valid" / (name + ".toml")).string());
  if (!result.profile) {
    ADD_FAILURE() << "fixture " << name << " is invalid: "
                  << (result.diagnostics.empty() ? "" : format(result.diagnostics[0]));
    return {};
  }
  return *result.profile;
}

}  // namespace wsgid::testing
