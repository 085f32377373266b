#include "pipeline.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "render/site_conf.hpp"
#include "sandbox/site_filters.hpp"

namespace wsgid::cli {

std::vector<render::RenderedFile> build_files(const profile::Profile& profile,
                                              const render::RenderOptions& options) {
  auto files = render::render(profile, options);
  for (auto& filter : sandbox::compile_site_filters(profile)) {
    // Read by the daemon before it drops privileges, so the launcher's own (no site owner).
    files.push_back({render::seccomp_filter_file(filter.site),
                     std::string(filter.program.begin(), filter.program.end())});
  }
  return files;
}

std::vector<std::string> build_into(const profile::Profile& profile,
                                    render::RenderOptions options) {
  options = render::with_identities(profile, std::move(options));
  const auto files = build_files(profile, options);
  try {
    render::write_files(profile, files, options);
  } catch (const std::filesystem::filesystem_error& error) {
    throw std::runtime_error(std::string("WSGID2041: ") + error.what() +
                             "; the launcher must be able to create, chown and chmod files in "
                             "the render directory and the profile's log files");
  }
  return render::unreadable_app_paths(profile, options.identities);
}

}  // namespace wsgid::cli
