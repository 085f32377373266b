#include "tls_checks.hpp"

#include <chrono>
#include <map>

#include "checks.hpp"
#include "codes.hpp"
#include "display_text.hpp"
#include "listen_address.hpp"
#include "tls_files.hpp"

namespace wsgid::profile {
namespace {

Diagnostic at(const toml::node& node, const WalkInput& input, std::string_view code,
              std::string key_path, std::string message) {
  const auto& position = node.source().begin;
  return {std::string(code),
          input.file,
          static_cast<int>(position.line),
          static_cast<int>(position.column),
          std::move(key_path),
          std::move(message)};
}

// The walker wrote defaults in without a source position; only what the author wrote counts.
bool written(const toml::node& node) { return node.source().begin.line > 0; }

// A path value the walker accepted (it rewrote it absolute): checking it again says so.
const toml::value<std::string>* accepted_file(const toml::table& tls, std::string_view key) {
  const auto* value = tls.get_as<std::string>(key);
  if (value == nullptr || !walkable_text(value->get())) return nullptr;
  toml::value<std::string> copy{value->get()};
  return checks::existing_file(copy, {}) ? nullptr : value;
}

// Each node of a "listen" value, which is a string or an array of strings.
std::vector<const toml::node*> listen_nodes(const toml::node* listen) {
  std::vector<const toml::node*> out;
  if (listen == nullptr) return out;
  if (const auto* array = listen->as_array()) {
    for (const toml::node& element : *array) out.push_back(&element);
  } else {
    out.push_back(listen);
  }
  return out;
}

// A port is plain HTTP or TLS, never both: httpd would refuse the second Listen, or serve
// TLS where a client speaks HTTP.
void check_listeners(const toml::table& root, const toml::table& tls, const WalkInput& input,
                     std::vector<Diagnostic>& errors) {
  std::map<std::string, const toml::node*> cleartext;
  for (const toml::node* node : listen_nodes(root.at_path("server.listen").node())) {
    const auto address = parse_listen(node->value<std::string>().value_or(""));
    if (address) cleartext.emplace(address->to_string(), node);
  }
  std::size_t index = 0;
  const auto nodes = listen_nodes(tls.get("listen"));
  for (const toml::node* node : nodes) {
    const std::string path = nodes.size() == 1 && !tls.get("listen")->is_array()
                                 ? std::string("server.tls.listen")
                                 : "server.tls.listen[" + std::to_string(index) + "]";
    ++index;
    const auto text = node->value<std::string>();
    const auto address = text ? parse_listen(*text) : std::nullopt;
    if (!address) continue;
    for (const auto& [plain, plain_node] : cleartext) {
      const auto other = parse_listen(plain).value();
      if (other.port != address->port ||
          (!other.is_wildcard() && !address->is_wildcard() && other.host != address->host)) {
        continue;
      }
      // At whichever of the two the author wrote (a default has no position).
      const bool at_tls = written(*node) || !written(*plain_node);
      const std::string tls_side = "server.tls.listen " + quote(*text) +
                                   (written(*node) ? "" : std::string(" (its default)"));
      const std::string plain_side = "server.listen " + quote(plain) +
                                     (written(*plain_node) ? "" : std::string(" (its default)"));
      errors.push_back(at(at_tls ? *node : *plain_node, input, code::kDuplicateListen,
                          at_tls ? path : std::string("server.listen"),
                          (at_tls ? tls_side + " has the port of " + plain_side
                                  : plain_side + " has the port of " + tls_side) +
                              "; a port serves either HTTP or HTTPS: choose another port"));
    }
  }
}

std::string_view key_of(TlsFile file) {
  switch (file) {
    case TlsFile::kCertificate:
      return "certificate";
    case TlsFile::kKey:
      return "key";
    case TlsFile::kChain:
      break;
  }
  return "chain";
}

}  // namespace

void check_tls(const toml::table& root, const WalkInput& input, std::vector<Diagnostic>& errors,
               std::vector<Diagnostic>& warnings) {
  const auto* tls = root.at_path("server.tls").as_table();
  if (tls == nullptr) return;
  const toml::node* certificate = tls->get("certificate");
  const toml::node* key = tls->get("key");
  if (certificate == nullptr) {
    // Without a certificate TLS is off, and anything else written under it would be ignored.
    for (auto&& [name, value] : *tls) {
      if (!written(value)) continue;
      errors.push_back(at(value, input, code::kTlsIncomplete,
                          "server.tls." + std::string(name.str()),
                          "is set but server.tls.certificate is not, so TLS is off and this "
                          "would be ignored; add certificate and key (PEM files), or remove "
                          "it"));
    }
    return;
  }
  if (key == nullptr) {
    errors.push_back(at(*certificate, input, code::kTlsIncomplete, "server.tls.certificate",
                        "a certificate needs its private key: add server.tls.key, the path of "
                        "the PEM key file"));
    return;
  }
  check_listeners(root, *tls, input, errors);
  const auto* cert_value = accepted_file(*tls, "certificate");
  const auto* key_value = accepted_file(*tls, "key");
  const toml::node* chain = tls->get("chain");
  const auto* chain_value = chain ? accepted_file(*tls, "chain") : nullptr;
  if (cert_value == nullptr || key_value == nullptr || (chain && chain_value == nullptr)) {
    return;  // the walker reported the path
  }
  const TlsInspection found = inspect_tls_files(
      cert_value->get(), key_value->get(),
      chain_value ? std::optional<std::filesystem::path>(chain_value->get()) : std::nullopt,
      std::chrono::system_clock::now());
  const auto node_of = [&](TlsFile file) -> const toml::node& {
    return file == TlsFile::kCertificate ? *certificate : file == TlsFile::kKey ? *key : *chain;
  };
  for (const auto& finding : found.errors) {
    errors.push_back(at(node_of(finding.file), input, finding.code,
                        "server.tls." + std::string(key_of(finding.file)), finding.message));
  }
  for (const auto& finding : found.warnings) {
    Diagnostic warning = at(node_of(finding.file), input, finding.code,
                            "server.tls." + std::string(key_of(finding.file)), finding.message);
    warning.warning = true;
    warnings.push_back(std::move(warning));
  }
}

}  // namespace wsgid::profile
