// Arbitrary bytes as a profile through the whole launcher path, profile -> model -> render:
// every input either is refused with diagnostics that each name file:line:col on one line, or
// renders without an exception and without a control character in any config line. Relative
// paths resolve against the valid fixtures' directory, so the seed profiles there render.
//
// With WSGID_FUZZ_RENDERS=DIR (and WSGID_FUZZ_MODULE=mod_wsgid.so), the first
// kMaxRendersKept inputs that render are written to DIR/N/, for `apache2 -t` to judge
// (tests/fuzz/apache_accepts_renders.sh); those with server.raw_directives are not kept.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "profile/load.hpp"
#include "render/render.hpp"

namespace {

constexpr int kMaxRendersKept = 40;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "profile_render_fuzz: %s\n", why.c_str());
  std::abort();
}

bool has_control_character(std::string_view text, bool newline_allowed) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && !(newline_allowed && c == '\n')) || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wsgid;
  static const std::string kProfile = std::string(WSGID_FUZZ_PROFILE_DIR) + "/fuzz.toml";
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = profile::load_profile_text(text, kProfile);
  if (!result.profile) {
    if (result.diagnostics.empty()) fail("no profile and no diagnostic");
    for (const auto& diagnostic : result.diagnostics) {
      const std::string line = profile::format(diagnostic);
      if (diagnostic.line <= 0 || diagnostic.column <= 0) fail("no position: " + line);
      if (has_control_character(line, false)) fail("control character in: " + line);
    }
    return 0;
  }
  static int kept = 0;
  const char* renders = std::getenv("WSGID_FUZZ_RENDERS");
  const char* module = std::getenv("WSGID_FUZZ_MODULE");
  // server.raw_directives are copied verbatim and checked by nothing but httpd (by design,
  // docs/profile-reference.md): a mutated one is httpd's to refuse, not a rendering bug.
  const bool keep = renders != nullptr && kept < kMaxRendersKept &&
                    result.profile->server.raw_directives.empty();
  render::RenderOptions options;
  options.out_dir = keep ? std::filesystem::path(renders) / std::to_string(kept)
                         : std::filesystem::path("/tmp/wsgid-fuzz-render");
  options.module_path = module != nullptr ? module : "/usr/lib/apache2/modules/mod_wsgid.so";
  const auto files = render::render(*result.profile, options);  // an exception is a finding
  for (const auto& file : files) {
    // Not text httpd reads: seccomp programs, and env and settings files of NUL-ended
    // name=value records whose values may hold any character but NUL (env-file=,
    // settings-file=).
    const auto extension = file.relative.extension();
    if (extension == ".bpf" || extension == ".env" || extension == ".daemon") continue;
    if (has_control_character(file.content, true)) {
      fail("control character in rendered " + file.relative.string());
    }
  }
  if (keep) {
    render::write_files(*result.profile, files, options);
    ++kept;
  }
  return 0;
}
