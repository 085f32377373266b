#include <filesystem>
#include <ostream>

#include "commands.hpp"
#include "exit_code.hpp"
#include "pipeline.hpp"
#include "profile_loading.hpp"
#include "render/module_path.hpp"
#include "render/render.hpp"

namespace wsgid::cli {

int render_command(const Arguments& args, std::ostream& out, std::ostream& err) {
  const auto out_flag = args.options.find("--out");
  if (out_flag == args.options.end()) {
    err << "wsgid: render needs --out DIR (the directory to write httpd.conf into)\n";
    return kUsageError;
  }
  const Loaded loaded = load_for_command(args.operands.front(), args, err);
  if (!loaded.profile) return loaded.exit_code;
  render::RenderOptions options;
  options.out_dir = std::filesystem::absolute(out_flag->second).lexically_normal();
  const auto module = args.options.find("--module");
  options.module_path = render::resolve_module_path(
      module == args.options.end() ? std::nullopt : std::optional(module->second));
  try {
    for (const auto& warning : build_into(*loaded.profile, options)) {
      err << "wsgid: warning: " << warning << "\n";
    }
  } catch (const std::exception& error) {
    err << "wsgid: cannot write the rendered config to " << options.out_dir << ": " << error.what()
        << "\n";
    return kRuntimeFailure;
  }
  out << (options.out_dir / "httpd.conf").string() << "\n";
  return kOk;
}

}  // namespace wsgid::cli
