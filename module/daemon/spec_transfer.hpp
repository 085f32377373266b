// A forked daemon's wsgid_daemon_spec as bytes, so that it survives execve() into the daemon
// helper program (passed through a memfd). Both sides are the same build on the same machine:
// integers are native, the header's abi_version refuses a helper from another build.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "python_abi.h"

namespace wsgid {

// What the helper needs besides the ABI struct's own fields.
struct SpecExtras {
  static constexpr std::uint64_t kNoSlot = UINT64_MAX;
  std::vector<std::uint8_t> seccomp_program;  // the compiled filter's bytes; empty: none
  std::string seccomp_path;                   // for messages
  bool seccomp_learning = false;
  std::string python_library;  // absolute path of wsgid_python.so
  int scoreboard_fd = -1;      // the scoreboard's memfd (kept across execve); -1: none
  std::uint64_t group_slot_offset = kNoSlot;    // byte offset of the group's slot in the scoreboard
  std::uint64_t process_slot_offset = kNoSlot;  // offset of the process slot inside the group slot
};

// The spec's pointers are followed (strings, arrays, the secret); its function pointer, context
// and shared-memory pointers are not transferred (see spec_transfer.cpp). A string in `extras`
// must not contain NUL: decode() refuses it.
std::string encode_daemon_spec(const wsgid_daemon_spec& spec, const SpecExtras& extras);

// A decoded spec and everything its pointers point into.
class DecodedSpec {
 public:
  DecodedSpec() = default;
  DecodedSpec(const DecodedSpec&) = delete;  // the spec points into this object
  DecodedSpec& operator=(const DecodedSpec&) = delete;

  // Replaces the spec and extras with those in `bytes`. On malformed input (truncated, trailing
  // bytes, another build's encoding, ...) returns false with the reason in `error` and leaves
  // an all-zero spec. Throws nothing.
  bool decode(std::string_view bytes, std::string& error);

  wsgid_daemon_spec& spec() { return spec_; }
  const SpecExtras& extras() const { return extras_; }

 private:
  wsgid_daemon_spec spec_{};
  SpecExtras extras_;
  // The strings and arrays spec_ points into, each allocated once and never moved.
  std::vector<std::shared_ptr<const void>> owned_;
};

}  // namespace wsgid
