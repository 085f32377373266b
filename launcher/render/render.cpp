#include "render.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "httpd_conf.hpp"
#include "atomic_file.hpp"
#include "site_conf.hpp"
#include "unique_fd.hpp"

namespace wsgid::render {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const char* what, const fs::path& path) {
  throw fs::filesystem_error(what, path, std::error_code(errno, std::generic_category()));
}

// mkdir if missing, then mode and owner set whether it was new or not, so a directory left by
// an older wsgid (or made by hand for --out) is tightened too.
void directory(const fs::path& path, mode_t mode, FileOwner owner = {}) {
  fs::create_directories(path);
  if (::chown(path.c_str(), owner.uid, owner.gid) != 0) fail("cannot chown", path);
  if (::chmod(path.c_str(), mode) != 0) fail("cannot chmod", path);
}

// Written beside and renamed, so a reload never reads a half-written file; created 0600 and
// given to its owner before a byte is written, so no one else ever sees the content.
void write_file(const fs::path& target, const std::string& content, FileOwner owner) {
  if (const WriteFailure failed =
          write_file_atomically(target, content, S_IRUSR | S_IWUSR, owner)) {
    errno = failed.error;
    fail(("cannot " + std::string(failed.step)).c_str(), target);
  }
}

// httpd (root, before it forks anything) opens logs with O_APPEND|O_CREAT under its umask;
// creating them first fixes their mode. An existing log keeps its owner and group (an operator
// may have given it to `adm`), but loses every permission for others.
void log_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
                     S_IRUSR | S_IWUSR));
  if (fd.get() < 0) fail("cannot create the log file", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail("cannot stat the log file", path);
  if (S_ISREG(st.st_mode) && (st.st_mode & S_IRWXO) != 0 &&
      ::fchmod(fd.get(), st.st_mode & 0770) != 0) {
    fail("cannot chmod the log file", path);
  }
}

std::vector<fs::path> log_files(const profile::Profile& profile) {
  std::vector<fs::path> logs;
  if (profile.server.logs == profile::LogTarget::kDirectory) {
    logs.push_back(profile.server.log_directory / "error.log");
    if (profile.server.access_log != profile::AccessLogFormat::kOff) {
      logs.push_back(profile.server.log_directory / "access.log");
    }
  }
  for (const auto& site : profile.sites) {
    if (site.error_log) logs.push_back(*site.error_log);
  }
  return logs;
}

}  // namespace

fs::path site_home_dir(const RenderOptions& options, const std::string& site) {
  return options.out_dir / "home" / site;
}

fs::path site_tmp_dir(const RenderOptions& options, const std::string& site) {
  return options.out_dir / "tmp" / site;
}

std::vector<RenderedFile> render(const profile::Profile& profile, const RenderOptions& options) {
  std::vector<RenderedFile> files;
  files.push_back({"httpd.conf", render_httpd_conf(profile, options)});
  for (const auto& site : profile.sites) {
    for (auto& file : render_site(site, profile, options)) files.push_back(std::move(file));
  }
  return files;
}

void write_files(const profile::Profile& profile, const std::vector<RenderedFile>& files,
                 const RenderOptions& options) {
  const auto& ids = options.identities;
  const fs::path& out = options.out_dir;
  // Privileged, the sites' daemons (each its own uid) must search the top directory, sites/,
  // home/ and tmp/ to reach their own entries, and listing any of them is refused. Otherwise
  // one uid runs everything and no one else needs anything.
  const mode_t search = ids.privileged ? 0711 : 0700;
  directory(out, search);
  directory(out / "sites", search);
  directory(out / "seccomp", 0700);
  directory(out / "htdocs", search);
  // The daemons' sockets: only httpd's workers connect (a daemon accepts on an inherited fd).
  if (ids.privileged) {
    directory(out / "run", 0710, {static_cast<uid_t>(-1), ids.worker_gid});
  } else {
    directory(out / "run", 0700);
  }
  directory(out / "home", search);
  directory(out / "tmp", search);
  for (const auto& site : profile.sites) {
    FileOwner owner;
    if (const SiteIdentity* id = ids.site(site.name)) owner = {id->uid, id->gid};
    directory(site_home_dir(options, site.name), 0700, owner);
    directory(site_tmp_dir(options, site.name), 0700, owner);
  }
  for (const auto& file : files) {
    const fs::path target = out / file.relative;
    fs::create_directories(target.parent_path());
    FileOwner owner;
    if (const SiteIdentity* id = ids.site(file.read_by_site)) owner = {id->uid, id->gid};
    write_file(target, file.content, owner);
  }
  for (const auto& log : log_files(profile)) log_file(log);
}

RenderOptions with_identities(const profile::Profile& profile, RenderOptions options) {
  options.identities = {};
  if (::geteuid() == 0) {
    auto assigned = assign_identities(profile, system_accounts());
    if (!assigned.error.empty()) throw std::runtime_error(assigned.error);
    options.identities = std::move(assigned.identities);
  }
  return options;
}

}  // namespace wsgid::render
