#include "tls_files.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>

#include "codes.hpp"

namespace wsgid::profile {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

// RAII for the libcrypto objects used here: nothing leaks on an early return.
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Certificate = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

// Certificates and keys are a few KiB; the cap keeps a mistaken path from being read whole.
constexpr std::size_t kMaxFileBytes = 1 << 20;

struct FileText {
  std::string bytes;
  std::string error;  // empty when read
};

FileText read_pem(const fs::path& path) {
  FileText out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.error = std::strerror(errno);
    return out;
  }
  out.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (out.bytes.size() > kMaxFileBytes) out.error = "larger than 1 MiB";
  return out;
}

Bio memory_bio(const std::string& bytes) {
  return Bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// Every certificate in a PEM file, in order.
std::vector<Certificate> certificates(const std::string& bytes) {
  std::vector<Certificate> out;
  const Bio bio = memory_bio(bytes);
  while (bio) {
    Certificate cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    out.push_back(std::move(cert));
  }
  return out;
}

// Refuses to prompt: an encrypted key fails to load instead of blocking on a terminal.
int no_pass_phrase(char*, int, int, void*) { return -1; }

std::string subject_of(X509* cert, bool issuer) {
  X509_NAME* name = issuer ? X509_get_issuer_name(cert) : X509_get_subject_name(cert);
  const Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::optional<Clock::time_point> as_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return std::nullopt;
  return Clock::from_time_t(timegm(&tm));
}

std::string utc(Clock::time_point when) {
  const std::time_t t = Clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

bool names_ocsp_responder(X509* cert) {
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert);
  const bool any = urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0;
  X509_email_free(urls);
  return any;
}

std::string hex_sha256(const std::vector<const std::string*>& parts) {
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return {};
  for (const std::string* part : parts) {
    // Length-prefixed, so moving bytes from one file to the next changes the digest.
    const std::string size = std::to_string(part->size()) + ":";
    EVP_DigestUpdate(ctx.get(), size.data(), size.size());
    EVP_DigestUpdate(ctx.get(), part->data(), part->size());
  }
  if (EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

class Inspector {
 public:
  explicit Inspector(TlsInspection& out) : out_(out) {}

  void error(std::string_view code, TlsFile file, std::string message) {
    out_.errors.push_back({std::string(code), file, std::move(message)});
  }

  // Reads a file, reporting why it could not be read.
  std::optional<std::string> read(TlsFile file, const fs::path& path, std::string_view what,
                                  std::string_view code) {
    FileText text = read_pem(path);
    if (!text.error.empty()) {
      error(code, file,
            std::string(what) + " \"" + path.string() + "\" cannot be read (" + text.error +
                "); httpd reads it at start as the user that starts wsgid: make it readable "
                "by that user");
      return std::nullopt;
    }
    return std::move(text.bytes);
  }

 private:
  TlsInspection& out_;
};

void check_validity(X509* leaf, const fs::path& path, Clock::time_point now, TlsInspection& out) {
  const auto not_before = as_time(X509_get0_notBefore(leaf));
  const auto not_after = as_time(X509_get0_notAfter(leaf));
  if (!not_before || !not_after) {
    out.errors.push_back({std::string(code::kTlsValidity), TlsFile::kCertificate,
                          "certificate \"" + path.string() +
                              "\" has validity dates libcrypto cannot read; issue a new one"});
    return;
  }
  out.not_after = *not_after;
  const std::string subject = subject_of(leaf, false);
  if (now < *not_before) {
    out.errors.push_back({std::string(code::kTlsValidity), TlsFile::kCertificate,
                          "certificate \"" + path.string() + "\" (" + subject +
                              ") is not valid before " + utc(*not_before) +
                              "; check this machine's clock or use a certificate valid now"});
  } else if (now >= *not_after) {
    out.errors.push_back({std::string(code::kTlsValidity), TlsFile::kCertificate,
                          "certificate \"" + path.string() + "\" (" + subject + ") expired " +
                              utc(*not_after) +
                              "; renew it and replace the file (then SIGHUP `wsgid run`)"});
  } else if (*not_after - now < kExpiryWarning) {
    const auto days = std::chrono::duration_cast<std::chrono::hours>(*not_after - now).count() / 24;
    out.warnings.push_back({std::string(code::kTlsExpiresSoon), TlsFile::kCertificate,
                            "certificate \"" + path.string() + "\" (" + subject + ") expires " +
                                utc(*not_after) + ", in " + std::to_string(days) +
                                " days; renew it and replace the file, then SIGHUP `wsgid run` "
                                "(no request is dropped)"});
  }
}

}  // namespace

TlsInspection inspect_tls_files(const fs::path& certificate, const fs::path& key,
                                const std::optional<fs::path>& chain, Clock::time_point now) {
  TlsInspection out;
  Inspector inspector(out);
  const auto cert_bytes =
      inspector.read(TlsFile::kCertificate, certificate, "certificate", code::kTlsCertificate);
  const auto key_bytes = inspector.read(TlsFile::kKey, key, "key", code::kTlsKey);
  std::optional<std::string> chain_bytes;
  if (chain) chain_bytes = inspector.read(TlsFile::kChain, *chain, "chain", code::kTlsChain);
  if (!cert_bytes || !key_bytes || (chain && !chain_bytes)) return out;

  // A certificate file may carry its intermediates after the leaf, as httpd allows.
  std::vector<Certificate> leaf_file = certificates(*cert_bytes);
  if (leaf_file.empty()) {
    inspector.error(code::kTlsCertificate, TlsFile::kCertificate,
                    "\"" + certificate.string() +
                        "\" holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\"); name "
                        "the certificate file, not the key or a DER file (convert DER with "
                        "`openssl x509 -inform der -in FILE -out FILE.pem`)");
    return out;
  }
  X509* leaf = leaf_file.front().get();

  const Bio key_bio = memory_bio(*key_bytes);
  const Key pkey(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_pass_phrase, nullptr));
  if (!pkey) {
    const bool encrypted = key_bytes->find("ENCRYPTED") != std::string::npos;
    inspector.error(code::kTlsKey, TlsFile::kKey,
                    encrypted ? "\"" + key.string() +
                                    "\" is an encrypted private key; httpd would ask for its "
                                    "pass phrase at every start: store it decrypted, readable "
                                    "only by the user that starts wsgid (`openssl pkey -in KEY "
                                    "-out KEY.plain`)"
                              : "\"" + key.string() +
                                    "\" holds no PEM private key (\"-----BEGIN PRIVATE "
                                    "KEY-----\"); name the certificate's private key file");
  } else if (X509_check_private_key(leaf, pkey.get()) != 1) {
    inspector.error(code::kTlsKeyMismatch, TlsFile::kKey,
                    "\"" + key.string() + "\" is not the private key of certificate \"" +
                        certificate.string() + "\" (" + subject_of(leaf, false) +
                        "); name the key the certificate was issued for, or the certificate "
                        "issued for this key");
  }

  if (chain_bytes) {
    std::vector<Certificate> intermediates = certificates(*chain_bytes);
    if (intermediates.empty()) {
      inspector.error(code::kTlsChain, TlsFile::kChain,
                      "\"" + chain->string() +
                          "\" holds no PEM certificate; the chain is the issuing "
                          "(intermediate) certificates, in PEM");
    } else {
      for (std::size_t i = 1; i < leaf_file.size(); ++i) {
        intermediates.push_back(std::move(leaf_file[i]));
      }
      const bool issued = std::any_of(
          intermediates.begin(), intermediates.end(), [&](const Certificate& candidate) {
            return X509_check_issued(candidate.get(), leaf) == X509_V_OK;
          });
      if (!issued) {
        inspector.error(code::kTlsChain, TlsFile::kChain,
                        "\"" + chain->string() + "\" does not hold the issuer of certificate \"" +
                            certificate.string() + "\" (issued by " + subject_of(leaf, true) +
                            "); name the chain your certificate authority sent with it");
      }
    }
  }

  check_validity(leaf, certificate, now, out);
  out.ocsp_responder = names_ocsp_responder(leaf);
  std::vector<const std::string*> parts{&*cert_bytes, &*key_bytes};
  if (chain_bytes) parts.push_back(&*chain_bytes);
  out.digest = hex_sha256(parts);
  return out;
}

}  // namespace wsgid::profile
