// Who each site's daemons run as. Started as root, every site gets a uid of its own so file
// permissions separate sites: the user its profile names, or else a stable uid derived from the
// profile's path and the site's name (like systemd's DynamicUser: no passwd entry, a documented
// range, collision-checked). Started as any other user, every process shares that one uid.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "profile/model.hpp"

namespace wsgid::render {

// The range per-site uids (and their equal gids) are taken from; docs/security.md.
inline constexpr uid_t kFirstSiteUid = 800000;
inline constexpr uid_t kSiteUidCount = 65536;

struct SiteIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  bool derived = false;  // a per-site uid without a passwd entry, rendered as user=#UID
};

struct Identities {
  // Root starts httpd: each site's daemons switch to `sites[name]`, and the launcher hands the
  // files those daemons read after the drop to that uid. Otherwise everything is one uid.
  bool privileged = false;
  gid_t worker_gid = 0;  // httpd's Group: the only group that may search the socket directory
  std::map<std::string, SiteIdentity> sites;

  const SiteIdentity* site(const std::string& name) const {
    const auto it = sites.find(name);
    return privileged && it != sites.end() ? &it->second : nullptr;
  }
};

// What the system already knows, asked through these so tests can stand in for NSS.
struct AccountLookup {
  std::function<std::optional<SiteIdentity>(const std::string&)> user;  // name or "#UID"
  std::function<std::optional<gid_t>(const std::string&)> group;        // name or "#GID"
  std::function<bool(uid_t)> uid_taken;
  std::function<bool(gid_t)> gid_taken;
};

AccountLookup system_accounts();

// The first candidate of a site's derived uid: a hash of the profile's path and the site's name
// into the range, so it is stable across restarts and differs between profiles.
uid_t derived_uid_candidate(const profile::Profile& profile, const profile::Site& site);

struct IdentityResult {
  Identities identities;
  std::string error;  // empty on success; otherwise a WSGID2040/2041 message
};

// Assigns every site's identity for a launcher running as root. Derived uids skip any uid or
// gid the system knows and any other site's, probing upwards in the range from the candidate.
IdentityResult assign_identities(const profile::Profile& profile, const AccountLookup& lookup);

// A site with a uid of its own reads its app as "others": the paths its daemons must read (the
// app script, python_path, python_home) that deny others search or read, each as a WSGID2042
// warning naming the path, the site and the fix. Empty when nothing is in the way.
std::vector<std::string> unreadable_app_paths(const profile::Profile& profile,
                                              const Identities& identities);

}  // namespace wsgid::render
