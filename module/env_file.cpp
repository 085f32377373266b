#include "env_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "unique_fd.hpp"

namespace wsgid {
namespace {

// Far more than any site's environment; a larger file is a mistake, not a configuration.
constexpr off_t kMaxEnvFileSize = 1024 * 1024;

std::string system_error(const char* what, const char* path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// The values are secrets: wipe our copy once they are in the environment.
class WipedBuffer {
 public:
  explicit WipedBuffer(std::size_t size) : data_(size, '\0') {}
  ~WipedBuffer() { explicit_bzero(data_.data(), data_.size()); }
  WipedBuffer(const WipedBuffer&) = delete;
  WipedBuffer& operator=(const WipedBuffer&) = delete;
  std::string& get() { return data_; }

 private:
  std::string data_;
};

}  // namespace

const char* apply_env_file(const char* path, uid_t owner, std::string& error) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
  if (fd.get() < 0) {
    error = system_error("cannot open env-file", path);
    return "WSGID0590";
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = system_error("cannot stat env-file", path);
    return "WSGID0590";
  }
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxEnvFileSize) {
    error = std::string("env-file ") + path + " is not a regular file of at most 1 MiB";
    return "WSGID0590";
  }
  if (st.st_uid != owner || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = std::string("env-file ") + path +
            " is refused: it holds secrets, so it must be owned by uid " + std::to_string(owner) +
            " (who starts httpd) with mode 0600, but has uid " + std::to_string(st.st_uid) +
            " and mode " + mode + " (chown it and chmod 600)";
    return "WSGID0591";
  }
  WipedBuffer buffer(static_cast<std::size_t>(st.st_size));
  std::string& text = buffer.get();
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = system_error("cannot read env-file", path);
      return "WSGID0590";
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  std::size_t record = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    ++record;
    const std::size_t end = text.find('\0', start);
    if (end == std::string::npos) {
      error = std::string("env-file ") + path + ": record " + std::to_string(record) +
              " is not terminated by a NUL byte (the file is NAME=VALUE records, each ending "
              "in NUL)";
      return "WSGID0592";
    }
    char* entry = text.data() + start;
    char* equals = static_cast<char*>(std::memchr(entry, '=', end - start));
    if (!equals || !valid_name(std::string_view(entry, static_cast<std::size_t>(equals - entry)))) {
      // The name is shown only when it is one; a value is never shown.
      error = std::string("env-file ") + path + ": record " + std::to_string(record) +
              " is not NAME=VALUE with a name of letters, digits and '_'";
      return "WSGID0592";
    }
    *equals = '\0';
    if (::setenv(entry, equals + 1, 1) != 0) {
      error = system_error("cannot set a variable from env-file", path);
      return "WSGID0590";
    }
    start = end + 1;
  }
  return nullptr;
}

}  // namespace wsgid
