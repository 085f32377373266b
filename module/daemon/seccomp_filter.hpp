// A daemon's compiled seccomp filter: read while the daemon may still read root-only files,
// applied by the Python side after start-up and preloading. The reading and loading are
// util/filter_loader's (no libseccomp in httpd's processes); this adapts it to the ABI table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wsgid {

class SeccompFilter {
 public:
  bool load_file(const char* path, bool learning, std::string& error);
  // The filter a forked daemon read, handed to wsgid-daemon across execve.
  void set_program(std::vector<std::uint8_t> program, std::string path, bool learning);
  bool loaded() const { return !program_.empty(); }
  const std::vector<std::uint8_t>& program() const { return program_; }
  const std::string& path() const { return path_; }
  bool learning() const { return learning_; }
  // Sets PR_SET_NO_NEW_PRIVS, installs the filter on every thread, and starts the reporter that
  // writes each call the filter hands to it to stderr (the group's error log), then kills the
  // caller, or in learning mode lets the call run.
  bool apply(std::string& error) const;
  // Adapter for wsgid_daemon_spec::apply_sandbox.
  static int apply_callback(void* self, char* err, std::size_t err_len);

 private:
  std::vector<std::uint8_t> program_;
  std::string path_;
  bool learning_ = false;
};

}  // namespace wsgid
