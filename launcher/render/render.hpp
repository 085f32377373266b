// The render stage: validated model -> httpd config files. Pure text in, text out, so the
// output is deterministic and golden-tested; write_files() is the only part touching disk.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "profile/model.hpp"

namespace wsgid::render {

struct RenderOptions {
  std::filesystem::path out_dir;  // absolute; the runtime dir (sockets, pid) is out_dir/run
  std::string module_path;        // for LoadModule wsgid_module
  // Off only to check the httpd side of a config against a module build that does not yet
  // accept the WSGI directives.
  bool wsgi_directives = true;
};

struct RenderedFile {
  std::filesystem::path relative;  // to out_dir: "httpd.conf", "sites/shop.conf", ...
  std::string content;
};

// httpd.conf first, then each site's files in profile order (a site's compiled seccomp filter
// is binary content in seccomp/NAME.bpf). Throws std::runtime_error when a filter cannot be
// compiled, which validation makes an environment problem rather than a profile problem.
std::vector<RenderedFile> render(const profile::Profile& profile, const RenderOptions& options);

// Writes the files and creates the directories httpd expects (run/, htdocs/).
// Throws std::filesystem::filesystem_error on I/O failure.
void write_files(const std::vector<RenderedFile>& files, const std::filesystem::path& out_dir);

}  // namespace wsgid::render
