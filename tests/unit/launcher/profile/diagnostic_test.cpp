#include "profile/diagnostic.hpp"

#include <gtest/gtest.h>

#include "profile/display_text.hpp"

namespace wsgid::profile {
namespace {

TEST(FormatDiagnostic, PutsPositionCodeAndKeyPathFirst) {
  const Diagnostic d{"WSGID1012", "site.toml", 7, 13, "site[1].daemon.processes", "bad"};
  EXPECT_EQ(format(d), "site.toml:7:13: error WSGID1012: site[1].daemon.processes: bad");
}

TEST(FormatDiagnostic, OmitsWhatAFileLevelProblemLacks) {
  const Diagnostic d{"WSGID1000", "gone.toml", 0, 0, "", "cannot read"};
  EXPECT_EQ(format(d), "gone.toml: error WSGID1000: cannot read");
}

TEST(FormatDiagnostic, EscapesControlCharactersWhereverAMessageGotThem) {
  const Diagnostic d{"WSGID3005", "a\nb.toml", 2, 3, "k\ry", "unknown syscall \"x\nDefine y\"\a"};
  EXPECT_EQ(format(d),
            "a\\nb.toml:2:3: error WSGID3005: k\\ry: unknown syscall \"x\\nDefine y\"\\u0007");
}

TEST(DisplayText, QuoteEscapesAndCutsLongValuesOnACharacterBoundary) {
  EXPECT_EQ(quote("a\"b\\c\td"), "\"a\\\"b\\\\c\\td\"");
  EXPECT_EQ(quote(std::string(200, 'x')), "\"" + std::string(kDisplayLimit, 'x') + "...\"");
  // "é" is two bytes; a cut through it backs up to the character before.
  const std::string text = std::string(kDisplayLimit - 1, 'x') + "\xc3\xa9";
  EXPECT_EQ(quote(text), "\"" + std::string(kDisplayLimit - 1, 'x') + "...\"");
  EXPECT_EQ(escape_control(escape_control("a\nb")), "a\\nb");
}

TEST(SortByPosition, OrdersByLineThenColumnKeepingTies) {
  std::vector<Diagnostic> list{{"B", "f", 3, 1, "", ""},
                               {"A", "f", 1, 9, "", ""},
                               {"C", "f", 3, 1, "", ""},
                               {"D", "f", 1, 2, "", ""}};
  sort_by_position(list);
  std::string order;
  for (const auto& d : list) order += d.code;
  EXPECT_EQ(order, "DABC");
}

}  // namespace
}  // namespace wsgid::profile
