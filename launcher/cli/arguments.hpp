// Command-line parsing: a command word, positional operands and --flag VALUE options.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wsgid::cli {

struct Arguments {
  std::string command;                         // "check", "render", ... or "" for none
  std::vector<std::string> operands;           // positional arguments after the command
  std::map<std::string, std::string> options;  // "--out" -> "DIR"
  bool help = false;
};

struct CommandSpec {
  std::string_view name;
  std::span<const std::string_view> options;  // flags that take a value
  std::size_t min_operands;
  std::size_t max_operands;
};

struct ParseResult {
  std::optional<Arguments> arguments;
  std::string error;  // why parsing failed, naming the offending argument
};

ParseResult parse_arguments(std::span<const std::string> args,
                            std::span<const CommandSpec> commands);

}  // namespace wsgid::cli
