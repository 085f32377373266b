// The launcher's pipeline after a profile is loaded and validated, in order: model -> render
// (httpd config text, render/), model -> sandbox compile (seccomp filters, sandbox/), then both
// stages' files written into the render directory.
#pragma once

#include <string>
#include <vector>

#include "profile/model.hpp"
#include "render/render.hpp"

namespace wsgid::cli {

// Every file of the render directory: the render stage's text files, then each site's
// compiled filter at render::seccomp_filter_file(). Throws what either stage throws.
std::vector<render::RenderedFile> build_files(const profile::Profile& profile,
                                              const render::RenderOptions& options);

// What `wsgid render` and `wsgid run` do: assigns the sites' identities when this process is
// root (options.identities is replaced), builds and writes the files. Returns warnings for the
// user (WSGID2042). Throws std::runtime_error (a WSGID2040 or WSGID2041 message) when a
// site gets no uid or a file cannot be written, or what build_files() throws.
std::vector<std::string> build_into(const profile::Profile& profile, render::RenderOptions options);

}  // namespace wsgid::cli
