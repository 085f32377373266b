#include "records_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "unique_fd.hpp"

namespace wsgid {
namespace {

// Far more than any site's environment or settings; a larger file is a mistake.
constexpr off_t kMaxRecordsFileSize = 1024 * 1024;

std::string system_error(const char* what, const RecordsFileKind& kind, const char* path) {
  return std::string(what) + " " + kind.option + " " + path + ": " + std::strerror(errno);
}

// The values may be secrets: wipe our copy once they are used.
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

const char* read_records_file(const char* path, uid_t owner, const RecordsFileKind& kind,
                              std::string& error, const RecordVisitor& each) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY));
  if (fd.get() < 0) {
    error = system_error("cannot open", kind, path);
    return kind.unreadable;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = system_error("cannot stat", kind, path);
    return kind.unreadable;
  }
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxRecordsFileSize) {
    error = std::string(kind.option) + " " + path + " is not a regular file of at most 1 MiB";
    return kind.unreadable;
  }
  if (st.st_uid != owner || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = std::string(kind.option) + " " + path +
            " is refused: it may hold secrets, so it must be owned by uid " +
            std::to_string(owner) + " (who starts httpd) with mode 0600, but has uid " +
            std::to_string(st.st_uid) + " and mode " + mode + " (chown it and chmod 600)";
    return kind.refused;
  }
  WipedBuffer buffer(static_cast<std::size_t>(st.st_size));
  std::string& text = buffer.get();
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = system_error("cannot read", kind, path);
      return kind.unreadable;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    ++number;
    const std::size_t end = text.find('\0', start);
    if (end == std::string::npos) {
      error = std::string(kind.option) + " " + path + ": record " + std::to_string(number) +
              " is not terminated by a NUL byte (the file is name=value records, each ending "
              "in NUL)";
      return kind.malformed;
    }
    if (!each(text.data() + start, number, error)) {
      error = std::string(kind.option) + " " + path + ": record " + std::to_string(number) + " " +
              error;
      return kind.malformed;
    }
    start = end + 1;
  }
  return nullptr;
}

}  // namespace wsgid
