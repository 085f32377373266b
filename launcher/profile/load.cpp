#include "load.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "build_model.hpp"
#include "codes.hpp"
#include "cross_checks.hpp"
#include "display_text.hpp"
#include "profile_schema.hpp"
#include "tls_checks.hpp"
#include "walker.hpp"

namespace wsgid::profile {

namespace {

// Profiles are a few KiB; the cap keeps a mistaken path (a log, an image) from being read whole.
constexpr std::size_t kMaxProfileBytes = 1 << 20;

LoadResult file_problem(std::string_view code, const std::string& file, std::string message) {
  LoadResult result;
  result.diagnostics.push_back({std::string(code), file, 0, 0, "", std::move(message)});
  return result;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

LoadResult load_profile(const std::string& file) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  const Fd in{::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  struct stat st {};
  if (in.fd < 0 || ::fstat(in.fd, &st) != 0) {
    return file_problem(code::kUnreadable, file,
                        "cannot read the profile file (" + std::string(std::strerror(errno)) +
                            "); check that the path exists and is a readable file");
  }
  if (!S_ISREG(st.st_mode)) {
    return file_problem(
        code::kNotRegularFile, file,
        std::string(S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file") +
            " (a profile is read whole, so devices, FIFOs and sockets are "
            "refused); name the profile's .toml file");
  }
  if (static_cast<std::uint64_t>(st.st_size) > kMaxProfileBytes) {
    return file_problem(code::kFileTooLarge, file,
                        "is " + std::to_string(st.st_size) + " bytes; a profile may be at most " +
                            std::to_string(kMaxProfileBytes) +
                            " bytes: check that this is the profile, or split the sites into "
                            "several profiles");
  }
  // Read at most one byte past the cap, in case the file grew since fstat.
  std::string text(kMaxProfileBytes + 1, '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(in.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return file_problem(code::kUnreadable, file,
                          "cannot read the profile file (" + std::string(std::strerror(errno)) +
                              "); check that it is a readable file");
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (done > kMaxProfileBytes) {
    return file_problem(code::kFileTooLarge, file,
                        "grew past " + std::to_string(kMaxProfileBytes) +
                            " bytes while being read; a profile may be at most that large");
  }
  text.resize(done);
  return load_profile_text(text, file);
}

LoadResult load_profile_text(std::string_view text, const std::string& file) {
  LoadResult result;
  const std::filesystem::path absolute = std::filesystem::absolute(file).lexically_normal();
  // Every relative path in the profile resolves against its directory and is written into
  // httpd.conf, where a newline would start a directive of its own.
  if (!walkable_text(absolute.string())) {
    result.diagnostics.push_back(
        {std::string(code::kProfilePathCharacter), file, 0, 0, "",
         "the profile's path " + quote(absolute.string()) +
             " contains a control character or is longer than " + std::to_string(kMaxStringBytes) +
             " bytes; paths in the profile resolve against it and are written into httpd.conf: "
             "rename or move the profile"});
    return result;
  }
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& error) {
    const auto& position = error.source().begin;
    result.diagnostics.push_back({std::string(code::kSyntax), file, static_cast<int>(position.line),
                                  static_cast<int>(position.column), "",
                                  "invalid TOML: " + std::string(error.description())});
    return result;
  }
  const WalkInput input{file, {absolute.parent_path()}};
  walk(root, profile_schema(), input, result.diagnostics);
  cross_check(root, input, result.diagnostics);
  check_tls(root, input, result.diagnostics, result.warnings);
  sort_by_position(result.diagnostics);
  if (result.diagnostics.empty()) result.profile = build_model(root, absolute);
  return result;
}

}  // namespace wsgid::profile
