#include "spec_transfer.hpp"

#include <array>
#include <concepts>
#include <cstring>
#include <new>
#include <type_traits>

namespace wsgid {
namespace {

constexpr std::array<char, 8> kMagic{'W', 'S', 'G', 'I', 'D', 'S', 'P', 'C'};
// Bump on any change to spec_fields or to how a kind of field is written. A change to
// wsgid_daemon_spec bumps WSGID_PYTHON_ABI_VERSION instead, which the header carries too.
constexpr std::uint32_t kFormatVersion = 1;

#if defined(__x86_64__) && defined(__LP64__)
static_assert(sizeof(wsgid_daemon_spec) == 376,
              "wsgid_daemon_spec changed: a new field must be added to spec_fields (or named "
              "there as not transferred), then this size updated");
#endif

template <class T>
concept Number = std::is_arithmetic_v<T> && !std::same_as<T, bool>;

// The one list of what crosses execve(), in order; visited by Writer (const spec) and Reader.
// Not transferred, decoded as null/0:
//   apply_sandbox, sandbox_ctx: the helper builds its own from extras.seccomp_program;
//   process_slot, group_slot: pointers into shared memory, recomputed from the slot offsets;
//   embedded, control_fd, embedded_peer_pid: embedded mode never execs.
// listen_fd, log_fd and extras.scoreboard_fd are numbers: descriptors keep their numbers across
// execve().
template <class Io, class Spec, class Extras>
requires std::same_as<std::remove_const_t<Spec>, wsgid_daemon_spec> &&
    std::same_as<std::remove_const_t<Extras>, SpecExtras>
void spec_fields(Io& io, Spec& s, Extras& x) {
  io.header(s.abi_version);
  io.string("group_name", s.group_name);
  io.number("listen_fd", s.listen_fd);
  io.number("processes", s.processes);
  io.number("threads", s.threads);
  io.number("multiprocess_option", s.multiprocess_option);
  io.number("maximum_requests", s.maximum_requests);
  io.number("graceful_timeout", s.graceful_timeout);
  io.number("shutdown_timeout", s.shutdown_timeout);
  io.number("socket_timeout", s.socket_timeout);
  io.number("request_timeout", s.request_timeout);
  io.number("inactivity_timeout", s.inactivity_timeout);
  io.string("python_home", s.python_home);
  io.array("python_path", s.python_path, s.python_path_count,
           [&io](auto& e) { io.string("python_path", e); });
  io.string("lang", s.lang);
  io.string("locale", s.locale);
  io.array("allowed_peer_uids", s.allowed_peer_uids, s.allowed_peer_uid_count,
           [&io](auto& e) { io.number("allowed_peer_uids", e); });
  io.array("preload", s.preload, s.preload_count, [&io](auto& p) {
    io.string("preload.script_path", p.script_path);
    io.string("preload.application_group", p.application_group);
    io.string("preload.callable_object", p.callable_object);
  });
  io.number("log_level", s.log_level);
  io.number("cpu_time_limit", s.cpu_time_limit);
  io.number("memory_limit", s.memory_limit);
  io.number("restart_interval", s.restart_interval);
  io.number("startup_timeout", s.startup_timeout);
  io.number("deadlock_timeout", s.deadlock_timeout);
  io.number("stack_size", s.stack_size);
  io.string("chroot", s.chroot);
  io.array("warn_options", s.warn_options, s.warn_option_count,
           [&io](auto& e) { io.string("warn_options", e); });
  io.number("optimize", s.optimize);
  io.number("dont_write_bytecode", s.dont_write_bytecode);
  io.number("use_hash_seed", s.use_hash_seed);
  io.number("hash_seed", s.hash_seed);
  io.number("restrict_stdin", s.restrict_stdin);
  io.number("restrict_stdout", s.restrict_stdout);
  io.number("queue_timeout", s.queue_timeout);
  io.secret("connection_secret", s.connection_secret);
  io.number("peer_parent_pid", s.peer_parent_pid);
  io.number("fs_learning", s.fs_learning);
  io.array("fs_read", s.fs_read, s.fs_read_count, [&io](auto& e) { io.string("fs_read", e); });
  io.array("fs_write", s.fs_write, s.fs_write_count, [&io](auto& e) { io.string("fs_write", e); });
  io.number("log_fd", s.log_fd);

  io.bytes("seccomp_program", x.seccomp_program);
  io.text("seccomp_path", x.seccomp_path);
  io.flag("seccomp_learning", x.seccomp_learning);
  io.text("python_library", x.python_library);
  io.number("scoreboard_fd", x.scoreboard_fd);
  io.number("group_slot_offset", x.group_slot_offset);
  io.number("process_slot_offset", x.process_slot_offset);
}

class Writer {
 public:
  std::string out;

  void header(std::uint32_t abi_version) {
    out.append(kMagic.data(), kMagic.size());
    raw(kFormatVersion);
    raw(abi_version);
  }
  template <Number T>
  void number(const char*, T v) {
    raw(v);
  }
  void flag(const char*, bool v) { raw(static_cast<std::uint8_t>(v ? 1 : 0)); }
  // A presence byte keeps NULL and "" apart.
  void string(const char*, const char* s) {
    raw(static_cast<std::uint8_t>(s ? 1 : 0));
    if (s) text(nullptr, s);
  }
  void text(const char*, std::string_view s) {
    raw(static_cast<std::uint64_t>(s.size()));
    out.append(s);
  }
  void bytes(const char*, const std::vector<std::uint8_t>& b) {
    raw(static_cast<std::uint64_t>(b.size()));
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void secret(const char*, const unsigned char* s) {
    raw(static_cast<std::uint8_t>(s ? 1 : 0));
    if (s) out.append(reinterpret_cast<const char*>(s), WSGID_CONNECTION_SECRET_SIZE);
  }
  template <class T, class F>
  void array(const char*, const T* p, std::size_t n, F&& each) {
    if (!p) n = 0;  // nothing to follow, whatever the count says
    raw(static_cast<std::uint64_t>(n));
    for (std::size_t i = 0; i < n; ++i) each(p[i]);
  }

 private:
  template <class T>
  void raw(T v) {
    char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    out.append(b, sizeof v);
  }
};

// Reads what Writer wrote. The first failure is kept in `error` and every later read is a
// no-op, so spec_fields needs no checks of its own.
class Reader {
 public:
  Reader(std::string_view in, std::vector<std::shared_ptr<const void>>& owned)
      : in_(in), owned_(owned) {}

  std::string error;
  bool ok() const { return error.empty(); }
  std::size_t left() const { return in_.size() - pos_; }

  void header(std::uint32_t& abi_version) {
    std::array<char, kMagic.size()> magic{};
    if (!take("header", magic.data(), magic.size())) return;
    if (magic != kMagic) return fail("not an encoded wsgid daemon spec (wrong magic bytes)");
    std::uint32_t format = 0;
    if (!raw("header", format) || !raw("header", abi_version)) return;
    if (abi_version != WSGID_PYTHON_ABI_VERSION || format != kFormatVersion) {
      fail("the daemon spec was encoded for ABI version " + std::to_string(abi_version) +
           " (format " + std::to_string(format) + "), this program reads ABI version " +
           std::to_string(WSGID_PYTHON_ABI_VERSION) + " (format " + std::to_string(kFormatVersion) +
           "); reinstall mod_wsgid.so and wsgid-daemon from the same build");
    }
  }
  template <Number T>
  void number(const char* name, T& v) {
    raw(name, v);
  }
  void flag(const char* name, bool& v) {
    std::uint8_t b = 0;
    if (raw(name, b)) v = b != 0;
    if (b > 1) fail(name, "is neither 0 nor 1");
  }
  void string(const char* name, const char*& s) {
    if (!present(name)) return;
    auto str = std::make_shared<std::string>();
    text(name, *str);
    if (!ok()) return;
    s = str->c_str();
    owned_.push_back(std::move(str));
  }
  void text(const char* name, std::string& s) {
    std::uint64_t n = 0;
    if (!length(name, n)) return;
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    // The helper hands these to C functions, which would stop at a NUL.
    if (s.find('\0') != std::string::npos) fail(name, "contains a NUL byte");
  }
  void bytes(const char* name, std::vector<std::uint8_t>& b) {
    std::uint64_t n = 0;
    if (!length(name, n)) return;
    b.resize(n);
    take(name, b.data(), n);
  }
  void secret(const char* name, const unsigned char*& s) {
    if (!present(name)) return;
    auto secret = std::make_shared<std::array<unsigned char, WSGID_CONNECTION_SECRET_SIZE>>();
    if (!take(name, secret->data(), secret->size())) return;
    s = secret->data();
    owned_.push_back(std::move(secret));
  }
  template <class T, class F>
  void array(const char* name, const T*& p, std::size_t& n, F&& each) {
    std::uint64_t count = 0;
    // Every element takes at least one byte, so the count is checked against what is left
    // before anything is allocated by it.
    if (!length(name, count)) return;
    if (count == 0) return;
    auto elements = std::make_shared<std::vector<T>>(count);
    for (T& e : *elements) {
      each(e);
      if (!ok()) return;
    }
    p = elements->data();
    n = count;
    owned_.push_back(std::move(elements));
  }

  void fail(const char* name, const std::string& why) { fail(std::string(name) + " " + why); }
  void fail(std::string why) {
    if (ok()) error = std::move(why);
  }

 private:
  bool take(const char* name, void* dst, std::size_t n) {
    if (!ok()) return false;
    if (n > left()) {
      fail(name, "is truncated: " + std::to_string(n) + " bytes needed at offset " +
                     std::to_string(pos_) + ", " + std::to_string(left()) + " left");
      return false;
    }
    if (n > 0) std::memcpy(dst, in_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  template <class T>
  bool raw(const char* name, T& v) {
    return take(name, &v, sizeof v);
  }
  // A length or count, refused when larger than the bytes left (each unit takes at least one).
  bool length(const char* name, std::uint64_t& n) {
    if (!raw(name, n)) return false;
    if (n > left()) {
      fail(name, "has length " + std::to_string(n) + " but only " + std::to_string(left()) +
                     " bytes are left");
      return false;
    }
    return true;
  }
  bool present(const char* name) {
    std::uint8_t b = 0;
    if (!raw(name, b)) return false;
    if (b > 1) fail(name, "has a presence byte that is neither 0 nor 1");
    return b == 1 && ok();
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::vector<std::shared_ptr<const void>>& owned_;
};

}  // namespace

std::string encode_daemon_spec(const wsgid_daemon_spec& spec, const SpecExtras& extras) {
  Writer w;
  spec_fields(w, spec, extras);
  return std::move(w.out);
}

bool DecodedSpec::decode(std::string_view bytes, std::string& error) {
  spec_ = {};
  extras_ = {};
  owned_.clear();
  try {
    Reader r(bytes, owned_);
    spec_fields(r, spec_, extras_);
    if (r.ok() && r.left() != 0) {
      r.fail(std::to_string(r.left()) + " bytes follow the encoded daemon spec");
    }
    if (r.ok()) return true;
    error = std::move(r.error);
  } catch (const std::bad_alloc&) {
    error = "out of memory decoding the daemon spec";
  }
  spec_ = {};
  extras_ = {};
  owned_.clear();
  return false;
}

}  // namespace wsgid
