// The render stage: validated model -> httpd config files. Pure text in, text out, so the
// output is deterministic and golden-tested; write_files() is the only part touching disk.
// Seccomp filters are the sandbox stage's (sandbox/site_filters.hpp); cli/pipeline.hpp runs
// both and writes their files with write_files().
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "profile/model.hpp"
#include "site_identity.hpp"

namespace wsgid::render {

struct RenderOptions {
  std::filesystem::path out_dir;  // absolute; the runtime dir (sockets, pid) is out_dir/run
  std::string module_path;        // for LoadModule wsgid_module
  // Off only to check the httpd side of a config against a module build that does not yet
  // accept the WSGI directives.
  bool wsgi_directives = true;
  // Empty (not privileged) unless the launcher runs as root; see site_identity.hpp.
  Identities identities;
};

struct RenderedFile {
  std::filesystem::path relative;  // to out_dir: "httpd.conf", "sites/shop.conf", ...
  std::string content;
  // Every file is 0600. Its owner is the launcher's uid (httpd's parent reads it before any
  // process drops privileges) unless a site's daemons must read it after their drop: then, when
  // privileged, it belongs to that site's uid.
  std::string read_by_site;
};

// httpd.conf first, then each site's files in profile order; all of them text.
std::vector<RenderedFile> render(const profile::Profile& profile, const RenderOptions& options);

// Writes the files (each created 0600, never briefly wider), creates the directories httpd and
// the daemons expect (run/, htdocs/, each site's HOME and TMPDIR) with the modes and owners
// docs/security.md lists, and creates the profile's log files 0600 before httpd opens them.
// Throws std::filesystem::filesystem_error on I/O failure.
void write_files(const profile::Profile& profile, const std::vector<RenderedFile>& files,
                 const RenderOptions& options);

// `options` with the sites' identities: assigned when this process is root, none otherwise.
// Throws std::runtime_error (a WSGID2040 message) when a site gets no uid.
RenderOptions with_identities(const profile::Profile& profile, RenderOptions options);

// The writable places of each site's daemons, HOME (home/NAME) and TMPDIR (tmp/NAME): 0700,
// owned by the site's uid. Kept across reloads, so an app's files survive a SIGHUP.
std::filesystem::path site_home_dir(const RenderOptions& options, const std::string& site);
std::filesystem::path site_tmp_dir(const RenderOptions& options, const std::string& site);

}  // namespace wsgid::render
