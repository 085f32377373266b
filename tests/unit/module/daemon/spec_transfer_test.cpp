// The daemon spec's trip across execve() (spec_transfer.hpp): every transferred field comes
// back, pointing into the decoded object; anything malformed, truncated or from another build
// is refused with a reason, never read out of bounds.
#include "daemon/spec_transfer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace wsgid {
namespace {

using namespace std::string_literals;

// A spec with every transferred field set to a value no other field has (the int flags too,
// beyond their 0/1 meaning, so that two swapped fields show), and what it points into.
struct FullSpec {
  std::string group_name = "site-a";
  std::string python_home = "/opt/venv";
  std::vector<std::string> python_path_text{"/srv/a", "", "/srv/c"};
  std::vector<const char*> python_path;
  std::string lang = "de_DE.UTF-8";
  std::string locale = "C.UTF-8";
  std::vector<uid_t> uids{33, 0, 1001};
  std::vector<std::string> preload_text{"/srv/app.wsgi", "%{GLOBAL}", "application",
                                        "/srv/boot.py",  "",          ""};
  std::vector<wsgid_preload> preloads;
  std::string chroot = "/jail";
  std::vector<std::string> warn_text{"ignore::DeprecationWarning", "error"};
  std::vector<const char*> warn_options;
  std::array<unsigned char, WSGID_CONNECTION_SECRET_SIZE> secret{};
  std::vector<std::string> fs_read_text{"/usr", "/srv/ro"};
  std::vector<const char*> fs_read;
  std::vector<std::string> fs_write_text{"/tmp/site"};
  std::vector<const char*> fs_write;
  wsgid_daemon_spec spec{};

  FullSpec() {
    for (const auto& p : python_path_text) python_path.push_back(p.c_str());
    for (const auto& p : warn_text) warn_options.push_back(p.c_str());
    for (const auto& p : fs_read_text) fs_read.push_back(p.c_str());
    for (const auto& p : fs_write_text) fs_write.push_back(p.c_str());
    preloads.push_back({preload_text[0].c_str(), preload_text[1].c_str(), preload_text[2].c_str()});
    preloads.push_back({preload_text[3].c_str(), preload_text[4].c_str(), nullptr});
    for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<unsigned char>(200 + i);

    spec.abi_version = WSGID_PYTHON_ABI_VERSION;
    spec.group_name = group_name.c_str();
    spec.listen_fd = 11;
    spec.processes = 12;
    spec.threads = 13;
    spec.multiprocess_option = 14;
    spec.maximum_requests = 1234567890123L;
    spec.graceful_timeout = 1.5;
    spec.shutdown_timeout = 2.25;
    spec.socket_timeout = 3.125;
    spec.request_timeout = 4.0625;
    spec.inactivity_timeout = 5.5;
    spec.python_home = python_home.c_str();
    spec.python_path = python_path.data();
    spec.python_path_count = python_path.size();
    spec.lang = lang.c_str();
    spec.locale = locale.c_str();
    spec.allowed_peer_uids = uids.data();
    spec.allowed_peer_uid_count = uids.size();
    spec.preload = preloads.data();
    spec.preload_count = preloads.size();
    spec.log_level = 15;
    spec.cpu_time_limit = 6.75;
    spec.memory_limit = 0x123456789abcULL;
    spec.restart_interval = 7.5;
    spec.startup_timeout = 8.5;
    spec.deadlock_timeout = 9.5;
    spec.stack_size = (1u << 20) + 3;
    spec.chroot = chroot.c_str();
    spec.warn_options = warn_options.data();
    spec.warn_option_count = warn_options.size();
    spec.optimize = 16;
    spec.dont_write_bytecode = 17;
    spec.use_hash_seed = -18;
    spec.hash_seed = 4294967295UL;
    spec.restrict_stdin = 19;
    spec.restrict_stdout = 20;
    spec.queue_timeout = 10.5;
    spec.connection_secret = secret.data();
    spec.peer_parent_pid = 21;
    spec.fs_learning = 22;
    spec.fs_read = fs_read.data();
    spec.fs_read_count = fs_read.size();
    spec.fs_write = fs_write.data();
    spec.fs_write_count = fs_write.size();
    spec.log_fd = 23;
  }

  // Overwrites every byte the spec points to, so a decoded pointer into this object shows.
  void scribble() {
    for (std::string* s : {&group_name, &python_home, &lang, &locale, &chroot}) {
      std::fill(s->begin(), s->end(), 'X');
    }
    for (auto* v : {&python_path_text, &preload_text, &warn_text, &fs_read_text, &fs_write_text}) {
      for (std::string& s : *v) std::fill(s.begin(), s.end(), 'X');
    }
    std::fill(uids.begin(), uids.end(), 99);
    secret.fill(0);
  }
};

SpecExtras full_extras() {
  SpecExtras x;
  for (int i = 0; i < 256; ++i) x.seccomp_program.push_back(static_cast<std::uint8_t>(i));
  x.seccomp_path = "/etc/wsgid/site.bpf";
  x.seccomp_learning = true;
  x.python_library = "/usr/lib/wsgid/wsgid_python.so";
  x.scoreboard_fd = 24;
  x.group_slot_offset = 3 * 65536;
  x.process_slot_offset = 4096 + 256;
  return x;
}

std::vector<std::string> strings_of(const char* const* p, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(p[i] ? p[i] : "<NULL>");
  return out;
}

// Every pointer of `s` lies outside `source`'s storage (a check of decode's ownership).
void expect_not_aliased(const wsgid_daemon_spec& s, const wsgid_daemon_spec& source) {
  EXPECT_NE(s.group_name, source.group_name);
  EXPECT_NE(s.python_home, source.python_home);
  EXPECT_NE(s.python_path, source.python_path);
  EXPECT_NE(s.python_path[0], source.python_path[0]);
  EXPECT_NE(s.allowed_peer_uids, source.allowed_peer_uids);
  EXPECT_NE(s.preload, source.preload);
  EXPECT_NE(s.preload[0].script_path, source.preload[0].script_path);
  EXPECT_NE(s.connection_secret, source.connection_secret);
  EXPECT_NE(s.fs_read, source.fs_read);
  EXPECT_NE(s.fs_write, source.fs_write);
  EXPECT_NE(s.warn_options, source.warn_options);
}

TEST(SpecTransfer, RoundTripsEveryTransferredField) {
  DecodedSpec decoded;
  std::string error;
  {
    FullSpec source;
    const std::string bytes = encode_daemon_spec(source.spec, full_extras());
    ASSERT_TRUE(decoded.decode(bytes, error)) << error;
    expect_not_aliased(decoded.spec(), source.spec);
    source.scribble();
  }  // and gone: the decoded spec must not point into it

  const wsgid_daemon_spec& s = decoded.spec();
  EXPECT_EQ(s.abi_version, WSGID_PYTHON_ABI_VERSION);
  EXPECT_STREQ(s.group_name, "site-a");
  EXPECT_EQ(s.listen_fd, 11);
  EXPECT_EQ(s.processes, 12);
  EXPECT_EQ(s.threads, 13);
  EXPECT_EQ(s.multiprocess_option, 14);
  EXPECT_EQ(s.maximum_requests, 1234567890123L);
  EXPECT_EQ(s.graceful_timeout, 1.5);
  EXPECT_EQ(s.shutdown_timeout, 2.25);
  EXPECT_EQ(s.socket_timeout, 3.125);
  EXPECT_EQ(s.request_timeout, 4.0625);
  EXPECT_EQ(s.inactivity_timeout, 5.5);
  EXPECT_STREQ(s.python_home, "/opt/venv");
  ASSERT_EQ(s.python_path_count, 3u);
  EXPECT_EQ(strings_of(s.python_path, s.python_path_count),
            (std::vector<std::string>{"/srv/a", "", "/srv/c"}));
  EXPECT_STREQ(s.lang, "de_DE.UTF-8");
  EXPECT_STREQ(s.locale, "C.UTF-8");
  ASSERT_EQ(s.allowed_peer_uid_count, 3u);
  EXPECT_EQ(std::vector<uid_t>(s.allowed_peer_uids, s.allowed_peer_uids + 3),
            (std::vector<uid_t>{33, 0, 1001}));
  ASSERT_EQ(s.preload_count, 2u);
  EXPECT_STREQ(s.preload[0].script_path, "/srv/app.wsgi");
  EXPECT_STREQ(s.preload[0].application_group, "%{GLOBAL}");
  EXPECT_STREQ(s.preload[0].callable_object, "application");
  EXPECT_STREQ(s.preload[1].script_path, "/srv/boot.py");
  EXPECT_STREQ(s.preload[1].application_group, "");
  EXPECT_EQ(s.preload[1].callable_object, nullptr);
  EXPECT_EQ(s.log_level, 15);
  EXPECT_EQ(s.cpu_time_limit, 6.75);
  EXPECT_EQ(s.memory_limit, 0x123456789abcULL);
  EXPECT_EQ(s.restart_interval, 7.5);
  EXPECT_EQ(s.startup_timeout, 8.5);
  EXPECT_EQ(s.deadlock_timeout, 9.5);
  EXPECT_EQ(s.stack_size, (1u << 20) + 3);
  EXPECT_STREQ(s.chroot, "/jail");
  ASSERT_EQ(s.warn_option_count, 2u);
  EXPECT_EQ(strings_of(s.warn_options, s.warn_option_count),
            (std::vector<std::string>{"ignore::DeprecationWarning", "error"}));
  EXPECT_EQ(s.optimize, 16);
  EXPECT_EQ(s.dont_write_bytecode, 17);
  EXPECT_EQ(s.use_hash_seed, -18);
  EXPECT_EQ(s.hash_seed, 4294967295UL);
  EXPECT_EQ(s.restrict_stdin, 19);
  EXPECT_EQ(s.restrict_stdout, 20);
  EXPECT_EQ(s.queue_timeout, 10.5);
  ASSERT_NE(s.connection_secret, nullptr);
  for (std::size_t i = 0; i < WSGID_CONNECTION_SECRET_SIZE; ++i) {
    EXPECT_EQ(s.connection_secret[i], static_cast<unsigned char>(200 + i)) << i;
  }
  EXPECT_EQ(s.peer_parent_pid, 21);
  EXPECT_EQ(s.fs_learning, 22);
  EXPECT_EQ(strings_of(s.fs_read, s.fs_read_count), (std::vector<std::string>{"/usr", "/srv/ro"}));
  EXPECT_EQ(strings_of(s.fs_write, s.fs_write_count), (std::vector<std::string>{"/tmp/site"}));
  EXPECT_EQ(s.log_fd, 23);
}

TEST(SpecTransfer, RoundTripsTheExtras) {
  FullSpec source;
  const SpecExtras in = full_extras();
  DecodedSpec decoded;
  std::string error;
  ASSERT_TRUE(decoded.decode(encode_daemon_spec(source.spec, in), error)) << error;
  const SpecExtras& x = decoded.extras();
  EXPECT_EQ(x.seccomp_program, in.seccomp_program);
  EXPECT_EQ(x.seccomp_program.size(), 256u);
  EXPECT_EQ(x.seccomp_path, "/etc/wsgid/site.bpf");
  EXPECT_TRUE(x.seccomp_learning);
  EXPECT_EQ(x.python_library, "/usr/lib/wsgid/wsgid_python.so");
  EXPECT_EQ(x.scoreboard_fd, 24);
  EXPECT_EQ(x.group_slot_offset, 3u * 65536);
  EXPECT_EQ(x.process_slot_offset, 4096u + 256);
}

TEST(SpecTransfer, RoundTripsNoSlotAndNoFilter) {
  FullSpec source;
  SpecExtras in;
  in.python_library = "/lib/wsgid_python.so";
  DecodedSpec decoded;
  std::string error;
  ASSERT_TRUE(decoded.decode(encode_daemon_spec(source.spec, in), error)) << error;
  const SpecExtras& x = decoded.extras();
  EXPECT_TRUE(x.seccomp_program.empty());
  EXPECT_EQ(x.seccomp_path, "");
  EXPECT_FALSE(x.seccomp_learning);
  EXPECT_EQ(x.python_library, "/lib/wsgid_python.so");
  EXPECT_EQ(x.scoreboard_fd, -1);
  EXPECT_EQ(x.group_slot_offset, SpecExtras::kNoSlot);
  EXPECT_EQ(x.process_slot_offset, SpecExtras::kNoSlot);
}

// Each kind of optional string: the spec's own, an array's element, a preload's, the secret.
wsgid_daemon_spec optional_strings(const char* value, const char* const* one_element,
                                   const wsgid_preload* preload, const unsigned char* secret) {
  wsgid_daemon_spec s{};
  s.abi_version = WSGID_PYTHON_ABI_VERSION;
  s.group_name = s.python_home = s.lang = s.locale = s.chroot = value;
  s.python_path = s.warn_options = s.fs_read = s.fs_write = one_element;
  s.python_path_count = s.warn_option_count = s.fs_read_count = s.fs_write_count = 1;
  s.preload = preload;
  s.preload_count = 1;
  s.connection_secret = secret;
  return s;
}

TEST(SpecTransfer, KeepsNullAndEmptyStringsApart) {
  const char* const null_element[] = {nullptr};
  const wsgid_preload null_preload{nullptr, nullptr, nullptr};
  DecodedSpec decoded;
  std::string error;
  ASSERT_TRUE(decoded.decode(
      encode_daemon_spec(optional_strings(nullptr, null_element, &null_preload, nullptr), {}),
      error))
      << error;
  const wsgid_daemon_spec& n = decoded.spec();
  for (const char* s : {n.group_name, n.python_home, n.lang, n.locale, n.chroot, n.python_path[0],
                        n.warn_options[0], n.fs_read[0], n.fs_write[0], n.preload[0].script_path,
                        n.preload[0].application_group, n.preload[0].callable_object}) {
    EXPECT_EQ(s, nullptr);
  }
  EXPECT_EQ(n.connection_secret, nullptr);

  const char* const empty_element[] = {""};
  const wsgid_preload empty_preload{"", "", ""};
  const std::array<unsigned char, WSGID_CONNECTION_SECRET_SIZE> zero_secret{};
  ASSERT_TRUE(decoded.decode(
      encode_daemon_spec(optional_strings("", empty_element, &empty_preload, zero_secret.data()),
                         {}),
      error))
      << error;
  const wsgid_daemon_spec& e = decoded.spec();
  for (const char* s : {e.group_name, e.python_home, e.lang, e.locale, e.chroot, e.python_path[0],
                        e.warn_options[0], e.fs_read[0], e.fs_write[0], e.preload[0].script_path,
                        e.preload[0].application_group, e.preload[0].callable_object}) {
    EXPECT_STREQ(s, "");
  }
  ASSERT_NE(e.connection_secret, nullptr);
  EXPECT_EQ(std::memcmp(e.connection_secret, zero_secret.data(), zero_secret.size()), 0);
}

TEST(SpecTransfer, EmptyArraysDecodeWithCountZero) {
  FullSpec source;
  wsgid_daemon_spec& s = source.spec;
  // Non-null pointers with no elements, and null pointers whatever their count says.
  s.python_path_count = s.allowed_peer_uid_count = s.preload_count = 0;
  s.warn_options = nullptr;
  s.warn_option_count = 5;
  s.fs_read = nullptr;
  s.fs_read_count = 0;
  s.fs_write_count = 0;
  DecodedSpec decoded;
  std::string error;
  ASSERT_TRUE(decoded.decode(encode_daemon_spec(s, {}), error)) << error;
  const wsgid_daemon_spec& d = decoded.spec();
  EXPECT_EQ(d.python_path_count, 0u);
  EXPECT_EQ(d.allowed_peer_uid_count, 0u);
  EXPECT_EQ(d.preload_count, 0u);
  EXPECT_EQ(d.warn_option_count, 0u);
  EXPECT_EQ(d.fs_read_count, 0u);
  EXPECT_EQ(d.fs_write_count, 0u);
  EXPECT_STREQ(d.chroot, "/jail");  // the fields after them still line up
  EXPECT_EQ(d.log_fd, 23);
}

int sandbox_stub(void*, char*, std::size_t) { return 0; }

TEST(SpecTransfer, LeavesOutWhatCannotCrossExecve) {
  FullSpec source;
  int ctx = 0;
  std::array<unsigned char, 64> shared{};
  wsgid_daemon_spec& s = source.spec;
  s.apply_sandbox = &sandbox_stub;
  s.sandbox_ctx = &ctx;
  s.process_slot = reinterpret_cast<wsgid_process_slot*>(shared.data());
  s.group_slot = reinterpret_cast<wsgid_group_slot*>(shared.data());
  s.embedded = 1;
  s.control_fd = 7;
  s.embedded_peer_pid = 4242;
  DecodedSpec decoded;
  std::string error;
  ASSERT_TRUE(decoded.decode(encode_daemon_spec(s, full_extras()), error)) << error;
  const wsgid_daemon_spec& d = decoded.spec();
  EXPECT_EQ(d.apply_sandbox, nullptr);
  EXPECT_EQ(d.sandbox_ctx, nullptr);
  EXPECT_EQ(d.process_slot, nullptr);
  EXPECT_EQ(d.group_slot, nullptr);
  EXPECT_EQ(d.embedded, 0);
  EXPECT_EQ(d.control_fd, 0);
  EXPECT_EQ(d.embedded_peer_pid, 0);
}

TEST(SpecTransfer, RefusesEveryTruncation) {
  FullSpec source;
  const std::string bytes = encode_daemon_spec(source.spec, full_extras());
  DecodedSpec decoded;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    // A copy of exactly n bytes, so that a read past it is a heap overflow ASan would catch.
    const std::vector<char> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    std::string error;
    EXPECT_FALSE(decoded.decode(std::string_view(prefix.data(), n), error)) << n;
    EXPECT_FALSE(error.empty()) << n;
    EXPECT_EQ(decoded.spec().group_name, nullptr) << n;  // a failed decode leaves nothing
  }
}

TEST(SpecTransfer, RefusesTrailingBytes) {
  FullSpec source;
  DecodedSpec decoded;
  std::string error;
  EXPECT_FALSE(decoded.decode(encode_daemon_spec(source.spec, {}) + "x", error));
  EXPECT_NE(error.find("1 bytes follow"), std::string::npos) << error;
}

TEST(SpecTransfer, RefusesWrongMagic) {
  FullSpec source;
  std::string bytes = encode_daemon_spec(source.spec, {});
  bytes[0] ^= 1;
  DecodedSpec decoded;
  std::string error;
  EXPECT_FALSE(decoded.decode(bytes, error));
  EXPECT_NE(error.find("magic"), std::string::npos) << error;
}

TEST(SpecTransfer, RefusesAnotherAbiVersionNamingBoth) {
  FullSpec source;
  source.spec.abi_version = WSGID_PYTHON_ABI_VERSION + 7;
  DecodedSpec decoded;
  std::string error;
  EXPECT_FALSE(decoded.decode(encode_daemon_spec(source.spec, {}), error));
  EXPECT_NE(error.find(std::to_string(WSGID_PYTHON_ABI_VERSION + 7)), std::string::npos) << error;
  EXPECT_NE(error.find(std::to_string(WSGID_PYTHON_ABI_VERSION)), std::string::npos) << error;
  EXPECT_NE(error.find("reinstall mod_wsgid.so and wsgid-daemon from the same build"),
            std::string::npos)
      << error;
}

TEST(SpecTransfer, RefusesNulInsideAString) {
  FullSpec source;
  SpecExtras x;
  x.python_library = "/lib/wsgid\0evil.so"s;
  DecodedSpec decoded;
  std::string error;
  EXPECT_FALSE(decoded.decode(encode_daemon_spec(source.spec, x), error));
  EXPECT_NE(error.find("python_library contains a NUL"), std::string::npos) << error;
}

// The offset of the first byte where two encodings differ.
std::size_t first_difference(const std::string& a, const std::string& b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

TEST(SpecTransfer, RefusesLengthsBeyondTheInput) {
  // Found by difference, so the test does not hard-code the layout: python_path's count.
  FullSpec source;
  source.spec.python_path_count = 0;
  const std::string none = encode_daemon_spec(source.spec, {});
  source.spec.python_path_count = 1;
  const std::string one = encode_daemon_spec(source.spec, {});
  const std::size_t at = first_difference(none, one);
  ASSERT_LT(at + sizeof(std::uint64_t), none.size());

  for (const std::uint64_t count :
       {UINT64_MAX, std::uint64_t{1} << 40, static_cast<std::uint64_t>(none.size() - at)}) {
    std::string bytes = none;
    std::memcpy(bytes.data() + at, &count, sizeof count);
    DecodedSpec decoded;
    std::string error;
    EXPECT_FALSE(decoded.decode(bytes, error)) << count;
    EXPECT_NE(error.find("python_path"), std::string::npos) << error;
  }

  // A string's presence byte that is neither 0 nor 1, and a string length beyond the input.
  source.spec.group_name = nullptr;
  const std::string null_name = encode_daemon_spec(source.spec, {});
  source.spec.group_name = "";
  const std::string empty_name = encode_daemon_spec(source.spec, {});
  const std::size_t presence = first_difference(null_name, empty_name);
  std::string bytes = null_name;
  bytes[presence] = 2;
  DecodedSpec decoded;
  std::string error;
  EXPECT_FALSE(decoded.decode(bytes, error));
  EXPECT_NE(error.find("group_name"), std::string::npos) << error;

  bytes = empty_name;
  const std::uint64_t huge = UINT64_MAX;
  std::memcpy(bytes.data() + presence + 1, &huge, sizeof huge);
  error.clear();
  EXPECT_FALSE(decoded.decode(bytes, error));
  EXPECT_NE(error.find("group_name has length"), std::string::npos) << error;
}

TEST(SpecTransfer, DecodingAgainReplacesTheSpec) {
  FullSpec source;
  DecodedSpec decoded;
  std::string error;
  ASSERT_TRUE(decoded.decode(encode_daemon_spec(source.spec, full_extras()), error)) << error;
  source.spec.group_name = "site-b";
  source.spec.preload_count = 0;
  ASSERT_TRUE(decoded.decode(encode_daemon_spec(source.spec, {}), error)) << error;
  EXPECT_STREQ(decoded.spec().group_name, "site-b");
  EXPECT_EQ(decoded.spec().preload_count, 0u);
  EXPECT_TRUE(decoded.extras().seccomp_program.empty());
}

}  // namespace
}  // namespace wsgid
