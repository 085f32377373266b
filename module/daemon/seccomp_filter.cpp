#include "seccomp_filter.hpp"

#include <unistd.h>

#include <cstdio>
#include <utility>

#include "filter_loader.hpp"

namespace wsgid {

bool SeccompFilter::load_file(const char* path, bool learning, std::string& error) {
  path_ = path;
  learning_ = learning;
  if (seccomp::read_filter_file(path_, program_, error)) return true;
  error = "seccomp-filter=" + path_ + ": " + error;
  program_.clear();
  return false;
}

void SeccompFilter::set_program(std::vector<std::uint8_t> program, std::string path,
                                bool learning) {
  program_ = std::move(program);
  path_ = std::move(path);
  learning_ = learning;
}

bool SeccompFilter::apply(std::string& error) const {
  const int listener = seccomp::load_filter_with_listener(program_, error);
  if (listener < 0) {
    error = "seccomp-filter=" + path_ + ": " + error;
    return false;
  }
  return seccomp::start_denial_reporter(
      listener, STDERR_FILENO, learning_ ? seccomp::DenialMode::kLog : seccomp::DenialMode::kKill,
      error);
}

int SeccompFilter::apply_callback(void* self, char* err, std::size_t err_len) {
  std::string error;
  if (static_cast<const SeccompFilter*>(self)->apply(error)) return 0;
  std::snprintf(err, err_len, "%s", error.c_str());
  return 1;
}

}  // namespace wsgid
