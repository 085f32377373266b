// What `wsgid check` finds in a TLS certificate, key and chain (server.tls), read with
// OpenSSL's libcrypto: each file parses, the key is the certificate's, the chain issued it,
// and it is valid now. Also the facts the renderer needs from the files themselves: whether
// the certificate names an OCSP responder (stapling is rendered only then) and a digest of
// the three files (rendered into httpd.conf, so replacing one makes SIGHUP restart httpd).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wsgid::profile {

// Which file a finding is about, so it can point at that key in the profile.
enum class TlsFile { kCertificate, kKey, kChain };

struct TlsFinding {
  std::string code;  // WSGID11xx
  TlsFile file;
  std::string message;  // names the file, what is wrong and the fix
};

struct TlsInspection {
  std::vector<TlsFinding> errors;
  std::vector<TlsFinding> warnings;  // valid, but expiring soon
  bool ocsp_responder = false;       // the certificate carries an OCSP URL
  std::string digest;                // SHA-256 (hex) over the three files' bytes
  std::chrono::system_clock::time_point not_after{};
};

// A certificate this close to its end is reported by `wsgid check` and at every (re)load.
inline constexpr std::chrono::hours kExpiryWarning{24 * 30};

// `now` is a parameter so tests can stand at any point of a certificate's validity.
TlsInspection inspect_tls_files(const std::filesystem::path& certificate,
                                const std::filesystem::path& key,
                                const std::optional<std::filesystem::path>& chain,
                                std::chrono::system_clock::time_point now);

}  // namespace wsgid::profile
