#include "profile/walker.hpp"

#include <gtest/gtest.h>

#include <array>

#include "profile/codes.hpp"

namespace wsgid::profile {
namespace {

// A small schema of its own, so the walker is tested apart from the wsgid profile schema.
std::optional<Problem> shout(toml::node& value, const CheckContext&) {
  auto& text = *value.as_string();
  if (text.get() == "bad") return Problem{"TEST9", "\"bad\" is bad"};
  text = text.get() + "!";
  return std::nullopt;
}

constexpr std::array<std::string_view, 2> kColours{"red", "green"};
constexpr std::array kInnerFields{
    FieldSpec{.key = "count",
              .kinds = kInteger,
              .fallback = std::int64_t{3},
              .accepted = "an integer from 1 to 9",
              .min = 1,
              .max = 9},
    FieldSpec{.key = "colour",
              .kinds = kString,
              .fallback = std::string_view("red"),
              .accepted = "\"red\" or \"green\"",
              .one_of = kColours},
};
constexpr TableSpec kInner{.name = "outer.inner", .fields = kInnerFields};
constexpr FieldSpec kMapValue{.key = "", .kinds = kString, .accepted = "a string"};
constexpr TableSpec kMap{.name = "outer.map", .value_field = &kMapValue};
constexpr std::array kOuterFields{
    FieldSpec{
        .key = "name", .kinds = kString, .required = true, .accepted = "a name", .check = shout},
    FieldSpec{.key = "inner", .kinds = kTable, .accepted = "a table", .child = &kInner},
    FieldSpec{.key = "map", .kinds = kTable, .accepted = "a table", .child = &kMap},
    FieldSpec{.key = "tags",
              .kinds = kArray,
              .accepted = "one or two strings",
              .element_kinds = kString,
              .min = 1,
              .max = 2},
};
constexpr TableSpec kOuter{.name = "outer", .fields = kOuterFields};
constexpr std::array kRootFields{
    FieldSpec{
        .key = "outer", .kinds = kTable, .required = true, .accepted = "a table", .child = &kOuter},
};
constexpr TableSpec kRoot{.name = "", .fields = kRootFields};

struct Walked {
  toml::table root;
  std::vector<std::string> messages;
};

Walked walk_text(std::string_view text) {
  Walked walked{toml::parse(text, std::string_view("t.toml")), {}};
  std::vector<Diagnostic> out;
  walk(walked.root, kRoot, {"t.toml", {"/"}}, out);
  sort_by_position(out);
  for (const auto& d : out) walked.messages.push_back(format(d));
  return walked;
}

TEST(Walker, FillsDefaultsIntoAbsentKeysAndTables) {
  const auto walked = walk_text("[outer]\nname = \"x\"\n");
  EXPECT_TRUE(walked.messages.empty());
  EXPECT_EQ(walked.root.at_path("outer.inner.count").value<int>(), 3);
  EXPECT_EQ(walked.root.at_path("outer.inner.colour").value<std::string>(), "red");
}

TEST(Walker, LetsChecksCanonicaliseValues) {
  const auto walked = walk_text("[outer]\nname = \"x\"\n");
  EXPECT_EQ(walked.root.at_path("outer.name").value<std::string>(), "x!");
}

TEST(Walker, CollectsEveryProblemNotJustTheFirst) {
  const auto walked = walk_text(
      "[outer]\nname = \"bad\"\nnmae = 1\ntags = []\n"
      "[outer.inner]\ncount = 10\ncolour = \"gren\"\n");
  EXPECT_EQ(walked.messages,
            (std::vector<std::string>{
                "t.toml:2:8: error TEST9: outer.name: \"bad\" is bad",
                "t.toml:3:1: error WSGID1002: outer.nmae: unknown key \"nmae\" in [outer] (did "
                "you mean \"name\"?)",
                "t.toml:4:8: error WSGID1006: outer.tags: has 0 entries; expected one or two "
                "strings",
                "t.toml:6:9: error WSGID1012: outer.inner.count: 10 is out of range; expected an "
                "integer from 1 to 9",
                "t.toml:7:10: error WSGID1014: outer.inner.colour: \"gren\" is not accepted; "
                "expected \"red\" or \"green\" (did you mean \"green\"?)",
            }));
}

TEST(Walker, ReportsMissingRequiredKeysAtTheirTable) {
  const auto walked = walk_text("x = 1\n[outer]\n");
  EXPECT_EQ(walked.messages,
            (std::vector<std::string>{
                "t.toml:1:1: error WSGID1002: x: unknown key \"x\" at the top level",
                "t.toml:2:1: error WSGID1004: outer.name: missing required key \"name\"; "
                "expected a name",
            }));
}

TEST(Walker, NamesTheTypeAndValueItGotInsteadOfTheExpectedOne) {
  const auto walked = walk_text("[outer]\nname = 5\ntags = [\"a\", true]\ninner = \"x\"\n");
  EXPECT_EQ(walked.messages,
            (std::vector<std::string>{
                "t.toml:2:8: error WSGID1003: outer.name: expected a name, got integer 5",
                "t.toml:3:14: error WSGID1003: outer.tags[1]: expected one or two strings, got "
                "boolean true",
                "t.toml:4:9: error WSGID1003: outer.inner: expected a table, got string \"x\"",
            }));
}

TEST(Walker, QuotesMapKeysThatAreNotBareKeys) {
  const auto walked = walk_text("[outer]\nname = \"x\"\nmap = { \"a b\" = 1, ok = \"y\" }\n");
  EXPECT_EQ(walked.messages,
            (std::vector<std::string>{"t.toml:3:17: error WSGID1003: outer.map.\"a b\": "
                                      "expected a string, got integer 1"}));
}

TEST(Walker, RefusesControlCharactersInValuesAndKeys) {
  const auto walked = walk_text("[outer]\nname = \"a\\nb\"\nmap = { \"k\\u0001\" = \"v\" }\n");
  EXPECT_EQ(walked.messages,
            (std::vector<std::string>{
                "t.toml:2:8: error WSGID1005: outer.name: \"a\\nb\" contains a control "
                "character; remove it",
                "t.toml:3:21: error WSGID1005: outer.map.\"k\\u0001\": key \"k\\u0001\" contains "
                "a control character; remove it",
            }));
}

TEST(JoinKeyPath, QuotesOnlyWhatTomlWouldQuote) {
  EXPECT_EQ(join_key_path("", "site"), "site");
  EXPECT_EQ(join_key_path("site[0]", "static"), "site[0].static");
  EXPECT_EQ(join_key_path("site[0].static", "/x"), "site[0].static.\"/x\"");
}

}  // namespace
}  // namespace wsgid::profile
