// A directory that exists for one test and is removed afterwards. Paths are short (under /tmp,
// not $TMPDIR) so UNIX socket paths inside them stay within sun_path's 108 bytes.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace wsgid::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/wsgid-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // Writes `content` (binary, truncating) to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::string full = (path_ / name).string();
    std::ofstream(full, std::ios::binary | std::ios::trunc) << content;
    return full;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace wsgid::testing
