#include "static_mount.hpp"

#include <string>

#include "directive_arg.hpp"

namespace wsgid::render {
namespace {

// mod_rewrite splits its own arguments: a quoted one ends at the next quote, and backslashes
// reach the regex or substitution as written (directive_arg's escaping would double them). So
// patterns here use bracket classes instead of backslashes.
std::string rewrite_arg(std::string_view text) {
  return std::string("\"").append(text).append("\"");
}

// Characters of a URL path that mean something in a regex, as one-character classes.
std::string regex_literal(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::string_view(".^$|()[]{}*+?").find(c) != std::string_view::npos) {
      out += std::string("[") + c + "]";
    } else {
      out += c;
    }
  }
  return out;
}

// mod_rewrite expands $N, %N and %{...} in substitutions and condition strings.
std::string rewrite_literal(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '$' || c == '%' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// A quote would end mod_rewrite's argument, and httpd substitutes "${" on the raw line before
// any module sees it: such a directory is served without its precompressed siblings.
bool rewritable(const std::string& directory) {
  return directory.find('"') == std::string::npos && directory.find("${") == std::string::npos;
}

// A file's ".br" or ".gz" sibling (made by the build, e.g. `gzip -k`, whitenoise or
// django-compress) is served in its place to a client that accepts that encoding and did not
// refuse it with q=0. Rewritten at the vhost's translation, before any <Directory> applies, so
// it needs no FollowSymLinks; END keeps the result from being rewritten again.
void precompressed_sibling(ConfWriter& w, const profile::StaticMount& mount,
                           std::string_view encoding, std::string_view suffix) {
  const std::string header = rewrite_arg("%{HTTP:Accept-Encoding}");
  const std::string token = std::string("(^|[[:space:],])").append(encoding).append("[[:space:]]*");
  w.directive("RewriteCond", header + " " + rewrite_arg(token + "(;|,|$)") + " [NC]");
  w.directive("RewriteCond",
              header + " " +
                  rewrite_arg(std::string("!").append(token) +
                              ";[[:space:]]*q[[:space:]]*=[[:space:]]*0([.]0*)?[[:space:]]*(,|$)") +
                  " [NC]");
  const std::string file = rewrite_literal(mount.directory.string()) + "/$1" + std::string(suffix);
  w.directive("RewriteCond", rewrite_arg(file) + " -f");
  w.directive(
      "RewriteRule",
      rewrite_arg(std::string("^").append(regex_literal(mount.url_path)).append("/(.+)$")) + " " +
          rewrite_arg(file) + " " +
          rewrite_arg(std::string("[E=WSGID_CONTENT_ENCODING:").append(encoding).append(",END]")));
}

}  // namespace

void static_mount(ConfWriter& w, const profile::StaticMount& mount) {
  const std::string directory = directive_arg(mount.directory.string());
  w.directive("Alias", directive_arg(mount.url_path) + " " + directory);
  if (rewritable(mount.directory.string())) {
    w.directive("RewriteEngine", "On");
    precompressed_sibling(w, mount, "br", ".br");
    precompressed_sibling(w, mount, "gzip", ".gz");
  }
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
    std::string value = std::string("public, max-age=").append(std::to_string(seconds));
    if (mount.immutable) value += ", immutable";
    w.directive("Header", std::string("set Cache-Control ").append(directive_arg(value)));
  }
  w.close("Location");
}

}  // namespace wsgid::render
