#include "cross_checks.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>

#include "checks.hpp"
#include "codes.hpp"
#include "display_text.hpp"
#include "listen_address.hpp"
#include "python_auth_checks.hpp"
#include "sandbox/policy.hpp"
#include "seccomp_policy.hpp"

namespace wsgid::profile {
namespace {

struct Seen {
  std::string path;
  int line = 0;
};

class UniqueValues {
 public:
  UniqueValues(std::string_view code, std::string_view what, const WalkInput& input,
               std::vector<Diagnostic>& out)
      : code_(code), what_(what), input_(input), out_(out) {}

  // `key` is the normalised identity; `shown` is what the user wrote.
  void add(const std::string& key, const std::string& shown, const toml::node& node,
           const std::string& path, std::string_view fix) {
    const auto& position = node.source().begin;
    const auto [it, inserted] = seen_.try_emplace(key, Seen{path, static_cast<int>(position.line)});
    if (inserted) return;
    out_.push_back({std::string(code_), input_.file, static_cast<int>(position.line),
                    static_cast<int>(position.column), path,
                    std::string(what_) + " " + quote(shown) + " is already used by " +
                        it->second.path +
                        (it->second.line > 0 ? " (line " + std::to_string(it->second.line) + ")"
                                             : std::string(" (its default)")) +
                        "; " + std::string(fix)});
  }

 private:
  std::string_view code_;
  std::string_view what_;
  const WalkInput& input_;
  std::vector<Diagnostic>& out_;
  std::map<std::string, Seen> seen_;
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

void check_listen(const toml::table& root, const WalkInput& input, std::vector<Diagnostic>& out) {
  const auto* listen = root.at_path("server.listen").as_array();
  if (listen == nullptr) return;
  UniqueValues unique(code::kDuplicateListen, "listen address", input, out);
  std::size_t index = 0;
  for (const toml::node& node : *listen) {
    const std::string path = "server.listen[" + std::to_string(index++) + "]";
    const auto text = node.value<std::string>();
    const auto address = text ? parse_listen(*text) : std::nullopt;
    if (!address) continue;
    unique.add(address->to_string(), *text, node, path, "list each address once");
  }
}

// The sandbox library owns the meaning of syscall and group names; its findings keep their
// WSGID3xxx codes (docs/sandbox.md) and get this profile's positions.
void check_sandbox(const toml::table& site, const std::string& site_path, const WalkInput& input,
                   std::vector<Diagnostic>& out) {
  const auto* table = site.get_as<toml::table>("sandbox");
  if (table == nullptr) return;
  const auto base = table->get_as<std::string>("seccomp");
  if (base == nullptr ||
      (base->get() != sandbox::kBaseDefault && base->get() != sandbox::kBaseOff)) {
    return;  // the walker reported it
  }
  const sandbox::Policy policy = read_seccomp_policy(*table);
  for (const auto& error : sandbox::validate(policy)) {
    if (error.field == sandbox::PolicyField::kBase) continue;
    const std::string key(sandbox::field_name(error.field));
    const auto* array = table->get_as<toml::array>(key);
    const toml::node* node = array != nullptr && error.index < array->size()
                                 ? array->get(error.index)
                                 : static_cast<const toml::node*>(table);
    if (!node->is_string() && node != table) continue;  // the walker reported its type
    if (node->is_string() && !walkable_text(node->as_string()->get())) continue;  // and this
    const auto& position = node->source().begin;
    out.push_back({std::string(error.code), input.file, static_cast<int>(position.line),
                   static_cast<int>(position.column),
                   site_path + ".sandbox." + key + "[" + std::to_string(error.index) + "]",
                   error.message});
  }
}

// Health endpoints are <Location>s that answer their path and every URL below it, in every
// virtual host: they must not hide each other, nor a whole site mount or static directory.
struct Endpoint {
  std::string key_path;  // "server.health.metrics"
  std::string path;
  const toml::node* node;
};

bool within(std::string_view inner, std::string_view outer) {
  return inner == outer || (inner.starts_with(outer) && inner.size() > outer.size() &&
                            (outer == "/" || inner[outer.size()] == '/'));
}

std::string where(const toml::node& node) {
  const auto line = node.source().begin.line;
  return line > 0 ? "(line " + std::to_string(line) + ")" : "(its default)";
}

std::vector<Endpoint> health_endpoints(const toml::table& root) {
  std::vector<Endpoint> endpoints;
  const auto* health = root.at_path("server.health").as_table();
  if (health == nullptr) return endpoints;
  for (const std::string_view key : {"liveness", "readiness", "metrics"}) {
    const auto* value = health->get_as<std::string>(key);
    if (value == nullptr || value->get() == "off" || !walkable_text(value->get())) continue;
    toml::value<std::string> copy{value->get()};
    if (checks::endpoint_path(copy, {})) continue;  // the walker reported it
    endpoints.push_back({"server.health." + std::string(key), value->get(), value});
  }
  return endpoints;
}

void report_overlap(const toml::node& node, const std::string& path, const std::string& shown,
                    std::string_view relation, const Endpoint& endpoint, std::string_view fix,
                    const WalkInput& input, std::vector<Diagnostic>& out) {
  const auto& position = node.source().begin;
  out.push_back({std::string(code::kHealthPathConflict), input.file,
                 static_cast<int>(position.line), static_cast<int>(position.column), path,
                 shown + " " + std::string(relation) + " " + endpoint.key_path + " \"" +
                     endpoint.path + "\" " + where(*endpoint.node) + std::string(fix)});
}

void check_health_endpoints(const std::vector<Endpoint>& endpoints, const WalkInput& input,
                            std::vector<Diagnostic>& out) {
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    for (std::size_t j = i + 1; j < endpoints.size(); ++j) {
      const Endpoint& a = endpoints[i];
      const Endpoint& b = endpoints[j];
      if (!within(a.path, b.path) && !within(b.path, a.path)) continue;
      // Reported where the author wrote a path: a default has no position to point at.
      const bool at_b = b.node->source().begin.line > 0 || a.node->source().begin.line == 0;
      const Endpoint& here = at_b ? b : a;
      const Endpoint& other = at_b ? a : b;
      const std::string_view relation = a.path == b.path                ? "is the same as"
                                        : within(here.path, other.path) ? "lies under"
                                                                        : "contains";
      report_overlap(*here.node, here.key_path, "path \"" + here.path + "\"", relation, other,
                     "; a health endpoint answers its path and every URL below it, so give each "
                     "endpoint a path outside the others",
                     input, out);
    }
  }
}

void check_mount_against_health(const std::vector<Endpoint>& endpoints, const toml::node& node,
                                const std::string& mount, const std::string& path,
                                const WalkInput& input, std::vector<Diagnostic>& out) {
  for (const Endpoint& endpoint : endpoints) {
    if (!within(mount, endpoint.path)) continue;
    report_overlap(node, path, "mount point \"" + mount + "\"",
                   mount == endpoint.path ? "is the same as" : "lies under", endpoint,
                   ", which answers its path and every URL below it, so the site would never see "
                   "these requests; move one of them",
                   input, out);
  }
}

// A jitter spreads maximum_requests; alone it would silently do nothing.
void check_recycling(const toml::table& site, const std::string& site_path, const WalkInput& input,
                     std::vector<Diagnostic>& out) {
  const auto* jitter = site.at_path("daemon.maximum_requests_jitter").as_integer();
  const auto* maximum = site.at_path("daemon.maximum_requests").as_integer();
  if (jitter == nullptr || jitter->get() <= 0 || (maximum != nullptr && maximum->get() > 0)) return;
  const auto& position = jitter->source().begin;
  out.push_back({std::string(code::kJitterWithoutMaximum), input.file,
                 static_cast<int>(position.line), static_cast<int>(position.column),
                 site_path + ".daemon.maximum_requests_jitter",
                 std::string("maximum_requests_jitter = ").append(std::to_string(jitter->get())) +
                     " has no effect without maximum_requests; set maximum_requests (such as "
                     "1000) or remove the jitter"});
}

// httpd gives a Host no site names to one vhost only: the first.
void check_second_default(const toml::node& node, const std::string& path,
                          std::optional<Seen>& first, const WalkInput& input,
                          std::vector<Diagnostic>& out) {
  const auto& position = node.source().begin;
  if (!first) {
    first = Seen{path, static_cast<int>(position.line)};
    return;
  }
  out.push_back({std::string(code::kSecondDefaultSite), input.file, static_cast<int>(position.line),
                 static_cast<int>(position.column), path,
                 "a second default site; " + first->path + " (line " + std::to_string(first->line) +
                     ") already answers hosts no site names: keep `default = true` on one site "
                     "and list this site's host names in server_name and aliases"});
}

}  // namespace

void cross_check(const toml::table& root, const WalkInput& input, std::vector<Diagnostic>& out) {
  check_listen(root, input, out);
  const std::vector<Endpoint> endpoints = health_endpoints(root);
  check_health_endpoints(endpoints, input, out);
  const auto* sites = root.get_as<toml::array>("site");
  if (sites == nullptr) return;
  UniqueValues names(code::kDuplicateSite, "site name", input, out);
  UniqueValues hosts(code::kDuplicateServerName, "server name", input, out);
  std::optional<Seen> first_default;
  std::size_t index = 0;
  for (const toml::node& element : *sites) {
    const std::string site_path = "site[" + std::to_string(index++) + "]";
    const auto* site = element.as_table();
    if (site == nullptr) continue;
    if (const auto* name = site->get_as<std::string>("name");
        name != nullptr && walkable_text(name->get())) {
      names.add(lower(name->get()), name->get(), *name, site_path + ".name",
                "give each site its own name");
    }
    if (const auto* host = site->get_as<std::string>("server_name")) {
      hosts.add(lower(host->get()), host->get(), *host, site_path + ".server_name",
                "a host name can belong to one site only");
    }
    if (const auto* aliases = site->get_as<toml::array>("aliases")) {
      std::size_t alias_index = 0;
      for (const toml::node& alias : *aliases) {
        const std::string path = site_path + ".aliases[" + std::to_string(alias_index++) + "]";
        if (const auto text = alias.value<std::string>()) {
          hosts.add(lower(*text), *text, alias, path, "a host name can belong to one site only");
        }
      }
    }
    if (const auto* is_default = site->get_as<bool>("default"); is_default && is_default->get()) {
      check_second_default(*is_default, site_path + ".default", first_default, input, out);
    }
    check_sandbox(*site, site_path, input, out);
    check_recycling(*site, site_path, input, out);
    check_python_auth(*site, site_path, input, out);
    // The app's mount and each static mount must be distinct URL prefixes within a site.
    UniqueValues mounts(code::kDuplicateMount, "mount point", input, out);
    if (const auto* mount = site->get_as<std::string>("mount");
        mount != nullptr && walkable_text(mount->get())) {
      mounts.add(mount->get(), mount->get(), *mount, site_path + ".mount",
                 "mount the app and each static directory at different URL paths");
      check_mount_against_health(endpoints, *mount, mount->get(), site_path + ".mount", input, out);
    }
    if (const auto* statics = site->get_as<toml::table>("static")) {
      for (auto&& [url, dir] : *statics) {
        if (!walkable_text(url.str())) continue;
        const std::string static_path = join_key_path(site_path + ".static", url.str());
        mounts.add(std::string(url.str()), std::string(url.str()), dir, static_path,
                   "mount the app and each static directory at different URL paths");
        check_mount_against_health(endpoints, dir, std::string(url.str()), static_path, input, out);
      }
    }
  }
}

}  // namespace wsgid::profile
