#include "profile/diagnostic.hpp"

#include <gtest/gtest.h>

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
