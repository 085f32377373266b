// A compiled seccomp filter (raw BPF, as `wsgid render` writes it or libseccomp's
// seccomp_export_bpf produces) read from a file and applied to a daemon process. Plain
// prctl/seccomp(2): the httpd side needs no libseccomp.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace wsgid {

class SeccompFilter {
 public:
  bool load_file(const char* path, std::string& error);
  bool loaded() const { return !program_.empty(); }
  // Sets PR_SET_NO_NEW_PRIVS and installs the filter on every thread of the process.
  bool apply(std::string& error) const;
  // Adapter for wsgid_daemon_spec::apply_sandbox.
  static int apply_callback(void* self, char* err, std::size_t err_len);

 private:
  std::vector<unsigned char> program_;
  std::string path_;
};

}  // namespace wsgid
