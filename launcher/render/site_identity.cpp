#include "site_identity.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <set>

namespace wsgid::render {
namespace {

std::optional<unsigned long> numeric(const std::string& name) {
  if (name.size() < 2 || name[0] != '#') return std::nullopt;
  char* end = nullptr;
  const unsigned long value = std::strtoul(name.c_str() + 1, &end, 10);
  if (*end != '\0') return std::nullopt;
  return value;
}

std::uint64_t fnv1a(std::string_view text, std::uint64_t hash = 0xcbf29ce484222325ULL) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// The first of `path` and its ancestors that others cannot reach: a directory without o+x, or
// the path itself without o+r (and o+x for a directory, which is listed and entered).
std::optional<std::filesystem::path> first_denied(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;  // the profile check reports these
  const mode_t wanted = S_ISDIR(st.st_mode) ? (S_IROTH | S_IXOTH) : S_IROTH;
  for (auto dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    struct stat d {};
    if (::stat(dir.c_str(), &d) == 0 && (d.st_mode & S_IXOTH) == 0) return dir;
    if (dir == dir.root_path()) break;
  }
  if ((st.st_mode & wanted) != wanted) return path;
  return std::nullopt;
}

}  // namespace

std::vector<std::string> unreadable_app_paths(const profile::Profile& profile,
                                              const Identities& identities) {
  std::vector<std::string> warnings;
  for (const auto& site : profile.sites) {
    const SiteIdentity* id = identities.site(site.name);
    if (!id || !id->derived) continue;
    std::vector<std::filesystem::path> paths(site.python_path.begin(), site.python_path.end());
    if (site.app.kind == profile::App::Kind::kScript) paths.push_back(site.app.script);
    if (site.python_home) paths.push_back(*site.python_home);
    for (const auto& path : paths) {
      if (const auto denied = first_denied(path)) {
        warnings.push_back("WSGID2042: site \"" + site.name + "\" runs as its own uid " +
                           std::to_string(id->uid) + ", which cannot read " + path.string() + " (" +
                           denied->string() +
                           " gives others no access); make it readable by others, or set "
                           "daemon.user to an account that can read it");
      }
    }
  }
  return warnings;
}

AccountLookup system_accounts() {
  AccountLookup lookup;
  lookup.user = [](const std::string& name) -> std::optional<SiteIdentity> {
    if (const auto number = numeric(name)) {
      const passwd* pw = ::getpwuid(static_cast<uid_t>(*number));
      // The module accepts a uid without a passwd entry; its gid is then the same number.
      return SiteIdentity{static_cast<uid_t>(*number),
                          pw ? pw->pw_gid : static_cast<gid_t>(*number), false};
    }
    const passwd* pw = ::getpwnam(name.c_str());
    if (!pw) return std::nullopt;
    return SiteIdentity{pw->pw_uid, pw->pw_gid, false};
  };
  lookup.group = [](const std::string& name) -> std::optional<gid_t> {
    if (const auto number = numeric(name)) return static_cast<gid_t>(*number);
    const group* gr = ::getgrnam(name.c_str());
    if (!gr) return std::nullopt;
    return gr->gr_gid;
  };
  lookup.uid_taken = [](uid_t uid) { return ::getpwuid(uid) != nullptr; };
  lookup.gid_taken = [](gid_t gid) { return ::getgrgid(gid) != nullptr; };
  return lookup;
}

uid_t derived_uid_candidate(const profile::Profile& profile, const profile::Site& site) {
  std::uint64_t hash = fnv1a(profile.file.string());
  hash = fnv1a(std::string_view("\0", 1), hash);
  hash = fnv1a(site.name, hash);
  return kFirstSiteUid + static_cast<uid_t>(hash % kSiteUidCount);
}

IdentityResult assign_identities(const profile::Profile& profile, const AccountLookup& lookup) {
  IdentityResult result;
  Identities& ids = result.identities;
  ids.privileged = true;
  ids.worker_gid = lookup.group(profile.server.group).value_or(0);
  std::set<uid_t> used;
  if (const auto worker = lookup.user(profile.server.user)) used.insert(worker->uid);
  // Named users first, so a derived uid never lands on one of them.
  for (const auto& site : profile.sites) {
    if (site.daemon.user.empty()) continue;
    const auto named = lookup.user(site.daemon.user);
    // An unknown name is left to httpd's own check (WSGID0003), which says the same.
    if (!named) continue;
    SiteIdentity identity = *named;
    if (!site.daemon.group.empty())
      identity.gid = lookup.group(site.daemon.group).value_or(identity.gid);
    ids.sites[site.name] = identity;
    used.insert(identity.uid);
  }
  for (const auto& site : profile.sites) {
    if (!site.daemon.user.empty()) continue;
    const uid_t first = derived_uid_candidate(profile, site) - kFirstSiteUid;
    std::optional<uid_t> chosen;
    for (uid_t step = 0; step < kSiteUidCount && !chosen; ++step) {
      const uid_t uid = kFirstSiteUid + (first + step) % kSiteUidCount;
      if (used.contains(uid) || lookup.uid_taken(uid) || lookup.gid_taken(uid)) continue;
      chosen = uid;
    }
    if (!chosen) {
      result.error = "WSGID2040: site \"" + site.name + "\" in " + profile.file.string() +
                     " gets no uid of its own: every uid from " + std::to_string(kFirstSiteUid) +
                     " to " + std::to_string(kFirstSiteUid + kSiteUidCount - 1) +
                     " is taken; set daemon.user to an existing unprivileged user";
      return result;
    }
    used.insert(*chosen);
    SiteIdentity identity{*chosen, static_cast<gid_t>(*chosen), true};
    if (!site.daemon.group.empty())
      identity.gid = lookup.group(site.daemon.group).value_or(identity.gid);
    ids.sites[site.name] = identity;
  }
  return result;
}

}  // namespace wsgid::render
