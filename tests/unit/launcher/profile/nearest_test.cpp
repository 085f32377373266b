#include "profile/nearest.hpp"

#include <gtest/gtest.h>

#include <array>

namespace wsgid::profile {
namespace {

constexpr std::array<std::string_view, 4> kKeys{"processes", "threads", "user", "group"};

TEST(Nearest, SuggestsTheKeyATypoCameFrom) {
  EXPECT_EQ(nearest("procesess", kKeys), "processes");
  EXPECT_EQ(nearest("thraeds", kKeys), "threads");
  EXPECT_EQ(nearest("usr", kKeys), "user");
}

TEST(Nearest, SuggestsNothingForUnrelatedWords) {
  EXPECT_FALSE(nearest("colour", kKeys));
  EXPECT_FALSE(nearest("x", std::span<const std::string_view>{}));
}

TEST(EditDistance, CountsATranspositionAsOneEdit) {
  EXPECT_EQ(edit_distance("ab", "ba"), 1U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
  EXPECT_EQ(edit_distance("", "abc"), 3U);
  EXPECT_EQ(edit_distance("Listen", "listen"), 0U);
}

}  // namespace
}  // namespace wsgid::profile
