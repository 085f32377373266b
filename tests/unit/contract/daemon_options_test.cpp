#include "daemon_options.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace wsgid::daemon_option {
namespace {

TEST(DaemonOptionTable, ListsEveryOptionInTheOrderErrorMessagesAlwaysGave) {
  EXPECT_STREQ(names(),
               "processes, threads, user, group, home, display-name, python-home, python-path, "
               "lang, locale, maximum-requests, maximum-requests-jitter, graceful-timeout, "
               "shutdown-timeout, connect-timeout, socket-timeout, request-timeout, "
               "queue-timeout, inactivity-timeout, listen-backlog, umask, seccomp-filter, "
               "seccomp-notify, env-file, cpu-time-limit, cpu-priority, chroot, memory-limit, "
               "restart-interval, startup-timeout, deadlock-timeout, stack-size, "
               "sandbox-filesystem, sandbox-read, sandbox-write, sandbox-scopes, settings-file");
}

TEST(DaemonOptionTable, FindsEachOptionByNameAndNothingElse) {
  for (const Spec& s : kTable) EXPECT_EQ(find(s.name), &s) << s.name;
  EXPECT_EQ(find("procesess"), nullptr);
  EXPECT_EQ(find(""), nullptr);
  EXPECT_EQ(&spec("threads"), find("threads"));
}

TEST(DaemonOptionTable, EveryOptionIsReadBySomeProcess) {
  for (const Spec& s : kTable) EXPECT_NE(s.readers, 0U) << s.name;
}

TEST(DaemonOptionTable, NumbersOutsideTheRangeAreRefused) {
  const Spec& threads = spec("threads");
  EXPECT_EQ(parse_number(threads, "1"), 1);
  EXPECT_EQ(parse_number(threads, "1024"), 1024);
  for (const char* bad : {"0", "1025", "-1", "two", "", "1.5", "99999999999999999999"}) {
    EXPECT_EQ(parse_number(threads, bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_number(spec("cpu-priority"), "-20"), -20);
  EXPECT_EQ(parse_number(spec("cpu-priority"), "20"), std::nullopt);
}

TEST(DaemonOptionTable, ZeroTurnsALimitOffBelowItsMinimum) {
  const Spec& memory = spec("memory-limit");
  EXPECT_EQ(parse_number(memory, "0"), 0);
  EXPECT_EQ(parse_number(memory, "1048575"), std::nullopt);
  EXPECT_EQ(parse_number(memory, "1048576"), 1048576);
  EXPECT_EQ(parse_number(memory, "-1"), std::nullopt);
  EXPECT_EQ(parse_number(spec("stack-size"), "1073741825"), std::nullopt);
}

TEST(DaemonOptionTable, UmaskIsOctal) {
  const Spec& umask = spec("umask");
  EXPECT_EQ(parse_number(umask, "0027"), 027);
  EXPECT_EQ(parse_number(umask, "0777"), 0777);
  EXPECT_EQ(parse_number(umask, "999"), std::nullopt);
  EXPECT_EQ(parse_number(umask, "1000"), std::nullopt);
}

// Where a row words its own "expected …" text, the text must give the range the row enforces.
TEST(DaemonOptionTable, WordedRangesMatchTheRangesEnforced) {
  for (const Spec& s : kTable) {
    if (s.accepted.empty() || s.kind == Kind::kChoice) continue;
    const std::string accepted(s.accepted);
    char min[32];
    char max[32];
    if (s.kind == Kind::kOctal) {
      std::snprintf(min, sizeof min, "%04llo", static_cast<long long>(s.min));
      std::snprintf(max, sizeof max, "%04llo", static_cast<long long>(s.max));
    } else {
      std::snprintf(min, sizeof min, "%lld", static_cast<long long>(s.min));
      std::snprintf(max, sizeof max, "%lld", static_cast<long long>(s.max));
    }
    EXPECT_NE(accepted.find(min), std::string::npos) << s.name << ": " << accepted;
    if (s.max != std::numeric_limits<std::int64_t>::max()) {
      EXPECT_NE(accepted.find(max), std::string::npos) << s.name << ": " << accepted;
    }
  }
}

TEST(DaemonOptionTable, ChoicesAreWordedInTheirErrors) {
  for (const Spec& s : kTable) {
    for (std::string_view choice : s.choices) {
      EXPECT_NE(s.accepted.find(choice), std::string_view::npos) << s.name << ": " << choice;
    }
  }
}

// docs/directives.md's option table: one row per option (or per pair, "`lang=`, `locale=`"),
// in the table's order, with who reads it.
struct DocRow {
  std::vector<std::string> names;
  std::string readers;
};

std::vector<DocRow> documented_options() {
  std::ifstream in(std::string(WSGID_DOCS_DIR) + "/directives.md");
  std::string line;
  bool inside = false;
  std::vector<DocRow> rows;
  const std::regex option_name("`([a-z-]+)=");
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) inside = line == "## `WSGIDaemonProcess` options";
    if (!inside || line.rfind("| `", 0) != 0) continue;
    // | Option | Default | Read by | Meaning |
    std::vector<std::string> cells;
    std::string cell;
    for (std::size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '|' && line[i - 1] != '\\') {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    if (cells.size() < 4) continue;
    DocRow row;
    for (std::sregex_iterator m(cells[0].begin(), cells[0].end(), option_name), end; m != end;
         ++m) {
      row.names.push_back((*m)[1]);
    }
    row.readers = std::regex_replace(cells[2], std::regex("^ +| +$"), "");
    rows.push_back(row);
  }
  return rows;
}

TEST(DaemonOptionTable, DirectivesMdListsEveryOptionInOrderWithItsReaders) {
  // The image build's context leaves docs/ out (.dockerignore) so doc edits do not invalidate
  // its compile layer; the host suite, which CI runs from the checkout, always has the file.
  if (!std::filesystem::exists(std::string(WSGID_DOCS_DIR) + "/directives.md")) {
    GTEST_SKIP() << "docs/directives.md is not in this tree (an image build's context)";
  }
  const auto rows = documented_options();
  ASSERT_FALSE(rows.empty()) << "no option table in docs/directives.md";
  std::size_t next = 0;
  for (const DocRow& row : rows) {
    for (const std::string& name : row.names) {
      ASSERT_LT(next, kTable.size()) << "docs/directives.md lists " << name << " too";
      EXPECT_EQ(name, kTable[next].name) << "docs/directives.md, option number " << next + 1;
      EXPECT_EQ(row.readers, readers_text(kTable[next].readers)) << name;
      ++next;
    }
  }
  EXPECT_EQ(next, kTable.size()) << "docs/directives.md leaves options out";
}

}  // namespace
}  // namespace wsgid::daemon_option
