#include "profile/units.hpp"

#include <gtest/gtest.h>

namespace wsgid::profile {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsEachUnit) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("2h"), milliseconds(7'200'000));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  EXPECT_EQ(parse_duration("2d"), milliseconds(172'800'000));
  EXPECT_EQ(parse_duration("1y"), milliseconds(31'536'000'000));
}

TEST(ParseDuration, RefusesMissingOrUnknownUnits) {
  EXPECT_FALSE(parse_duration("30"));
  EXPECT_FALSE(parse_duration("5w"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("5S"));
}

TEST(ParseDuration, RefusesSignsSpacesAndFractions) {
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration("+5s"));
  EXPECT_FALSE(parse_duration("5 s"));
  EXPECT_FALSE(parse_duration(" 5s"));
  EXPECT_FALSE(parse_duration("1.5s"));
}

TEST(ParseDuration, RefusesDurationsBeyondAYearInsteadOfOverflowing) {
  EXPECT_TRUE(parse_duration("8760h"));
  EXPECT_FALSE(parse_duration("9000h"));
  EXPECT_FALSE(parse_duration("99999999999999999999999s"));
}

TEST(ParseSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_size("512"), 512U);
  EXPECT_EQ(parse_size("512B"), 512U);
  EXPECT_EQ(parse_size("1KB"), 1000U);
  EXPECT_EQ(parse_size("1GB"), 1'000'000'000U);
  EXPECT_EQ(parse_size("512KiB"), 512U * 1024);
  EXPECT_EQ(parse_size("10MiB"), 10U * 1024 * 1024);
  EXPECT_EQ(parse_size("2GiB"), 2ULL * 1024 * 1024 * 1024);
}

TEST(ParseSize, RefusesMalformedSizes) {
  EXPECT_FALSE(parse_size("10 MiB"));
  EXPECT_FALSE(parse_size("8kb"));
  EXPECT_FALSE(parse_size("MiB"));
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size("1.5MiB"));
  EXPECT_FALSE(parse_size("99999999999GiB"));
}

}  // namespace
}  // namespace wsgid::profile
