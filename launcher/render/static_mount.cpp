#include "static_mount.hpp"

#include <string>

#include "directive_arg.hpp"

namespace wsgid::render {
namespace {

std::string regex_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// mod_rewrite expands $N, %N and %{...} in substitutions and condition strings: a directory
// holding '$', '%' or '\' is written with each escaped.
std::string rewrite_literal(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '$' || c == '%' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// A file's ".br" or ".gz" sibling (made by the build, e.g. `gzip -k`, whitenoise or
// django-compress) is served in its place to a client that accepts that encoding and did not
// refuse it with q=0. Rewritten at the vhost's translation, before any <Directory> applies, so
// it needs no FollowSymLinks; END keeps the result from being rewritten again.
void precompressed_sibling(ConfWriter& w, const profile::StaticMount& mount,
                           std::string_view encoding, std::string_view suffix) {
  const std::string token = regex_escape(encoding);
  w.directive("RewriteCond", directive_arg("%{HTTP:Accept-Encoding}") + " " +
                                 directive_arg("(^|[\\s,])" + token + "\\s*(;|,|$)") + " [NC]");
  w.directive("RewriteCond",
              directive_arg("%{HTTP:Accept-Encoding}") + " " +
                  directive_arg("!(^|[\\s,])" + token + "\\s*;\\s*q\\s*=\\s*0(\\.0*)?\\s*(,|$)") +
                  " [NC]");
  const std::string file = rewrite_literal(mount.directory.string()) + "/$1";
  w.directive("RewriteCond", directive_arg(file + std::string(suffix)) + " -f");
  w.directive("RewriteRule",
              directive_arg("^" + regex_escape(mount.url_path) + "/(.+)$") + " " +
                  directive_arg(file + std::string(suffix)) + " " +
                  directive_arg("[E=WSGID_CONTENT_ENCODING:" + std::string(encoding) + ",END]"));
}

}  // namespace

void static_mount(ConfWriter& w, const profile::StaticMount& mount) {
  const std::string directory = directive_arg(mount.directory.string());
  w.directive("Alias", directive_arg(mount.url_path) + " " + directory);
  w.directive("RewriteEngine", "On");
  precompressed_sibling(w, mount, "br", ".br");
  precompressed_sibling(w, mount, "gzip", ".gz");
  w.open("Directory", directory);
  w.directive("Options", "None");
  w.directive("AllowOverride", "None");
  w.directive("Require", "all granted");
  // Validators for conditional GETs (304): size and modification time, the same in every
  // worker and across restarts (the inode is not, after a redeploy that copies files).
  w.directive("FileETag", "MTime Size");
  // A sibling served in a file's place keeps the file's type (from its other extension) and
  // says how it is encoded; a .gz or .br asked for by name is served as what it is.
  w.open("If", directive_arg("-n %{ENV:WSGID_CONTENT_ENCODING}"));
  w.directive("RemoveType", ".gz .br");
  w.directive("AddEncoding", "gzip .gz");
  w.directive("AddEncoding", "br .br");
  w.close("If");
  w.close("Directory");
  // Headers by URL, not directory: two mounts may share a directory with different caching.
  w.open("Location", directive_arg(mount.url_path));
  // Any file here may have a compressed sibling: caches must key on Accept-Encoding.
  w.directive("Header", "merge Vary Accept-Encoding");
  if (mount.max_age || mount.immutable) {
    // immutable alone means "a year": hashed names change whenever the content does.
    const auto seconds = mount.max_age ? mount.max_age->count() : 365LL * 24 * 3600;
    std::string value = "public, max-age=" + std::to_string(seconds);
    if (mount.immutable) value += ", immutable";
    w.directive("Header", "set Cache-Control " + directive_arg(value));
  }
  w.close("Location");
}

}  // namespace wsgid::render
