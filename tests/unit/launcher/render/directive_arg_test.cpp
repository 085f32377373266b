#include "render/directive_arg.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "supervise/httpd_command.hpp"
#include "temp_dir.hpp"

namespace wsgid::render {
namespace {

TEST(DirectiveArg, QuotesEveryValue) {
  EXPECT_EQ(directive_arg("plain"), "\"plain\"");
  EXPECT_EQ(directive_arg(""), "\"\"");
  EXPECT_EQ(directive_arg("two words"), "\"two words\"");
}

TEST(DirectiveArg, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(directive_arg("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(directive_arg("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(directive_arg("ends\\"), "\"ends\\\\\"");
}

TEST(DirectiveArg, HidesVariableReferencesFromHttpd) {
  EXPECT_EQ(directive_arg("${HOME}"), "\"${WSGID_DOLLAR}{HOME}\"");
  EXPECT_EQ(directive_arg("$HOME $ {"), "\"$HOME $ {\"");
}

TEST(DirectiveArg, RefusesControlCharactersAsABrokenInvariant) {
  EXPECT_THROW(directive_arg("a\nListen 1"), std::invalid_argument);
  EXPECT_THROW(directive_arg("a\r"), std::invalid_argument);
  EXPECT_THROW(directive_arg(std::string("a\0b", 3)), std::invalid_argument);
}

TEST(PythonStringLiteral, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(python_string_literal("it's"), "'it\\'s'");
  EXPECT_EQ(python_string_literal("a\\b"), "'a\\\\b'");
  EXPECT_EQ(python_string_literal("a\nb"), "'a\\x0ab'");
  EXPECT_EQ(python_string_literal("caf\xc3\xa9"), "'caf\xc3\xa9'");
}

// The real test of the contract: httpd itself reads each escaped value back unchanged.
// Define stores its value verbatim and -D DUMP_RUN_CFG prints it.
TEST(DirectiveArg, RoundTripsThroughHttpdUnchanged) {
  const std::vector<std::string> values{
      "a b\"c\\d",         "${HOME}",     "${WSGID_DOLLAR}", "%{GLOBAL}",
      "trailing\\",        "\\\"",        "</VirtualHost>",  "# not a comment",
      "x\" Listen \"9999", "${UNDEFINED", "$${X}}",          "caf\xc3\xa9",
  };
  wsgid::testing::TempDir dir;
  {
    std::ofstream conf(dir.path() / "httpd.conf");
    conf << "Define " << kDollarDefine << " $\n"
         << "ServerRoot " << directive_arg(dir.path().string()) << "\n"
         << "PidFile " << directive_arg((dir.path() / "pid").string()) << "\n"
         << "ErrorLog " << directive_arg((dir.path() / "error.log").string()) << "\n"
         << "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
         << "Listen 127.0.0.1:9\nServerName probe.invalid\n";
    for (std::size_t i = 0; i < values.size(); ++i) {
      conf << "Define PROBE" << i << " " << directive_arg(values[i]) << "\n";
    }
  }
  const auto result =
      supervise::run_capturing({supervise::httpd_binary(), "-t", "-D", "DUMP_RUN_CFG", "-f",
                                (dir.path() / "httpd.conf").string()});
  ASSERT_EQ(result.exit_status, 0) << result.output;
  EXPECT_EQ(result.output.find("not defined"), std::string::npos) << result.output;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string line = "Define: PROBE" + std::to_string(i) + "=" + values[i] + "\n";
    EXPECT_NE(result.output.find(line), std::string::npos)
        << "value " << values[i] << " came back differently:\n"
        << result.output;
  }
}

}  // namespace
}  // namespace wsgid::render
