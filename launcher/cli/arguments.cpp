#include "arguments.hpp"

#include <algorithm>

namespace wsgid::cli {

ParseResult parse_arguments(std::span<const std::string> args,
                            std::span<const CommandSpec> commands) {
  Arguments parsed;
  if (args.empty()) return {std::nullopt, "no command given"};
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    parsed.help = true;
    if (args.size() > 1) parsed.command = args[1];
    return {parsed, ""};
  }
  if (args[0] == "--version") {
    parsed.command = "--version";
    return {parsed, ""};
  }
  const auto spec = std::find_if(commands.begin(), commands.end(),
                                 [&](const CommandSpec& c) { return c.name == args[0]; });
  if (spec == commands.end()) return {std::nullopt, "unknown command \"" + args[0] + "\""};
  parsed.command = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      return {parsed, ""};
    }
    if (arg.starts_with("--")) {
      std::string name = arg;
      std::optional<std::string> value;
      if (const auto equals = arg.find('='); equals != std::string::npos) {
        name = arg.substr(0, equals);
        value = arg.substr(equals + 1);
      }
      if (std::find(spec->options.begin(), spec->options.end(), name) == spec->options.end()) {
        return {std::nullopt, "unknown option \"" + name + "\" for " + parsed.command};
      }
      if (!value) {
        if (i + 1 >= args.size()) return {std::nullopt, "option " + name + " needs a value"};
        value = args[++i];
      }
      if (parsed.options.contains(name)) {
        return {std::nullopt, "option " + name + " given more than once"};
      }
      parsed.options[name] = *value;
      continue;
    }
    parsed.operands.push_back(arg);
  }
  if (parsed.operands.size() < spec->min_operands) {
    return {std::nullopt, parsed.command + " needs a PROFILE"};
  }
  if (parsed.operands.size() > spec->max_operands) {
    return {std::nullopt, "unexpected argument \"" + parsed.operands[spec->max_operands] +
                              "\" for " + parsed.command};
  }
  return {parsed, ""};
}

}  // namespace wsgid::cli
