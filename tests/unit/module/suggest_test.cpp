// Did-you-mean for a misspelt WSGIDaemonProcess option: a plausible typo gets the option it
// was meant to be, a different word gets nothing (a wrong suggestion is worse than none).
#include "suggest.hpp"

#include <gtest/gtest.h>

namespace wsgid {
namespace {

constexpr std::string_view kOptions =
    "processes, threads, user, group, display-name, python-path, maximum-requests, "
    "graceful-timeout, shutdown-timeout, socket-timeout, request-timeout, queue-timeout";

TEST(NearestOption, SuggestsTheOptionAOneLetterTypoWasMeantToBe) {
  EXPECT_EQ(nearest_option("proceses", kOptions), "processes");  // a letter missing
  EXPECT_EQ(nearest_option("threadss", kOptions), "threads");    // one too many
  EXPECT_EQ(nearest_option("uxer", kOptions), "user");           // one wrong
  EXPECT_EQ(nearest_option("gruop", kOptions), "group");         // two swapped
  EXPECT_EQ(nearest_option("display_name", kOptions), "display-name");
}

TEST(NearestOption, PicksTheClosestOfSimilarOptions) {
  EXPECT_EQ(nearest_option("socket-timout", kOptions), "socket-timeout");
  EXPECT_EQ(nearest_option("queue-timout", kOptions), "queue-timeout");
  EXPECT_EQ(nearest_option("request-timeot", kOptions), "request-timeout");
}

TEST(NearestOption, LongerNamesTolerateMoreTypos) {
  // maximum-requests (16 letters) with three edits is still recognisable; three letters that
  // share nothing with a four-letter name are another word.
  EXPECT_EQ(nearest_option("maxium-reqests", kOptions), "maximum-requests");
  EXPECT_EQ(nearest_option("maxium_reqests", kOptions), "maximum-requests");
  EXPECT_EQ(nearest_option("xyz", "user"), "");
}

TEST(NearestOption, SuggestsNothingForADifferentWord) {
  EXPECT_EQ(nearest_option("banana", kOptions), "");
  EXPECT_EQ(nearest_option("python-home-directory", kOptions), "");
  EXPECT_EQ(nearest_option("", kOptions), "");
  EXPECT_EQ(nearest_option("threads", ""), "");
}

TEST(NearestOption, AnExactNameIsItsOwnNearest) {
  EXPECT_EQ(nearest_option("threads", kOptions), "threads");
  EXPECT_EQ(nearest_option("queue-timeout", kOptions), "queue-timeout");
}

}  // namespace
}  // namespace wsgid
