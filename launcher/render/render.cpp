#include "render.hpp"

#include <fstream>

#include "httpd_conf.hpp"
#include "site_conf.hpp"

namespace wsgid::render {

std::vector<RenderedFile> render(const profile::Profile& profile, const RenderOptions& options) {
  std::vector<RenderedFile> files;
  files.push_back({"httpd.conf", render_httpd_conf(profile, options)});
  for (const auto& site : profile.sites) {
    for (auto& file : render_site(site, profile, options)) files.push_back(std::move(file));
  }
  return files;
}

void write_files(const std::vector<RenderedFile>& files, const std::filesystem::path& out_dir) {
  namespace fs = std::filesystem;
  fs::create_directories(out_dir / "sites");
  fs::create_directories(out_dir / "htdocs");
  // The runtime dir holds the daemons' sockets: httpd's worker user must be able to reach it.
  fs::create_directories(out_dir / "run");
  fs::permissions(out_dir / "run", fs::perms::owner_all | fs::perms::group_read |
                                       fs::perms::group_exec | fs::perms::others_read |
                                       fs::perms::others_exec);
  for (const auto& file : files) {
    // Write beside and rename, so a reload never reads a half-written file.
    const fs::path target = out_dir / file.relative;
    fs::create_directories(target.parent_path());
    const fs::path temporary = target.string() + ".tmp";
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      out << file.content;
      out.close();
      if (!out) {
        throw fs::filesystem_error("cannot write", temporary,
                                   std::make_error_code(std::errc::io_error));
      }
    }
    fs::rename(temporary, target);
  }
}

}  // namespace wsgid::render
