#include "cli/arguments.hpp"

#include <gtest/gtest.h>

#include <array>

namespace wsgid::cli {
namespace {

constexpr std::array<std::string_view, 1> kOut{"--out"};
constexpr std::array<CommandSpec, 2> kCommands{{{"check", {}, 1, 9}, {"render", kOut, 1, 1}}};

ParseResult parse(std::vector<std::string> args) { return parse_arguments(args, kCommands); }

TEST(ParseArguments, SplitsOperandsAndOptionsInEitherSpelling) {
  for (const auto& args : {std::vector<std::string>{"render", "p.toml", "--out", "d"},
                           std::vector<std::string>{"render", "--out=d", "p.toml"}}) {
    const auto result = parse(args);
    ASSERT_TRUE(result.arguments) << result.error;
    EXPECT_EQ(result.arguments->command, "render");
    EXPECT_EQ(result.arguments->operands, (std::vector<std::string>{"p.toml"}));
    EXPECT_EQ(result.arguments->options.at("--out"), "d");
  }
}

TEST(ParseArguments, NamesWhatIsWrong) {
  EXPECT_EQ(parse({}).error, "no command given");
  EXPECT_EQ(parse({"chek", "p"}).error, "unknown command \"chek\"");
  EXPECT_EQ(parse({"check"}).error, "check needs a PROFILE");
  EXPECT_EQ(parse({"check", "--out", "d", "p"}).error, "unknown option \"--out\" for check");
  EXPECT_EQ(parse({"render", "p", "--out"}).error, "option --out needs a value");
  EXPECT_EQ(parse({"render", "p", "--out", "a", "--out", "b"}).error,
            "option --out given more than once");
  EXPECT_EQ(parse({"render", "p", "q"}).error, "unexpected argument \"q\" for render");
}

TEST(ParseArguments, RecognisesHelpAnywhereAndVersionFirst) {
  EXPECT_TRUE(parse({"--help"}).arguments->help);
  EXPECT_TRUE(parse({"render", "--help"}).arguments->help);
  EXPECT_EQ(parse({"--version"}).arguments->command, "--version");
}

}  // namespace
}  // namespace wsgid::cli
