#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "unique_fd.hpp"

namespace wsgid {

WriteFailure write_file_atomically(const std::string& path, std::string_view content, mode_t mode,
                                   FileOwner owner) {
  // mkostemp: a fresh name (O_EXCL, mode 0600), so two writers never share a temporary file.
  std::string temporary = path + ".XXXXXX";
  UniqueFd fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (fd.get() < 0) return {errno, "create"};
  auto discard = [&](std::string_view step) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return WriteFailure{error, step};
  };
  if (::fchown(fd.get(), owner.uid, owner.gid) != 0) return discard("chown");
  if (::fchmod(fd.get(), mode) != 0) return discard("chmod");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return discard("write");
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd.release()) != 0) return discard("write");
  if (::rename(temporary.c_str(), path.c_str()) != 0) return discard("rename");
  return {};
}

}  // namespace wsgid
