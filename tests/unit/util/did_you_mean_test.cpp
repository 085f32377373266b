#include "did_you_mean.hpp"

#include <gtest/gtest.h>

#include <array>

namespace wsgid {
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

TEST(Nearest, ReadsTheModulesCommaSeparatedLists) {
  EXPECT_EQ(nearest_in_list("proces-group", "process-group, application-group"), "process-group");
  EXPECT_EQ(nearest_in_list("callable", "process-group, application-group"), std::nullopt);
  EXPECT_EQ(nearest_in_list("x", ""), std::nullopt);
}

TEST(Nearest, TheFirstOfEquallyCloseCandidatesWins) {
  constexpr std::array<std::string_view, 2> kTwins{"cat", "bat"};
  EXPECT_EQ(nearest("hat", kTwins), "cat");
}

// The allowance grows with the word (a third of it) but stays between 1 and 3 edits, so a long
// word never drags in an unrelated one and a short one still gets its single typo corrected.
TEST(Nearest, AllowsAThirdOfTheWordBetweenOneAndThreeEdits) {
  EXPECT_EQ(typo_allowance("ab"), 1U);
  EXPECT_EQ(typo_allowance("thread"), 2U);
  EXPECT_EQ(typo_allowance("completely-different"), 3U);
  constexpr std::array<std::string_view, 1> kLong{"maximum-requests"};
  EXPECT_EQ(nearest("maxmum-reqests", kLong), "maximum-requests");  // 2 edits
  EXPECT_EQ(nearest("mximum-rqests", kLong), "maximum-requests");   // 3 edits
  EXPECT_EQ(nearest("mxmum-rqsts", kLong), std::nullopt);           // 5 edits
  constexpr std::array<std::string_view, 1> kShort{"threads"};
  EXPECT_EQ(nearest("thrds", kShort), std::nullopt);  // 2 edits in 5 letters: not a typo
}

TEST(EditDistance, CountsATranspositionAsOneEdit) {
  EXPECT_EQ(edit_distance("ab", "ba"), 1U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
  EXPECT_EQ(edit_distance("", "abc"), 3U);
  EXPECT_EQ(edit_distance("Listen", "listen"), 0U);
  EXPECT_EQ(edit_distance("Ab", "bA"), 1U);  // transpositions ignore case too
}

}  // namespace
}  // namespace wsgid
