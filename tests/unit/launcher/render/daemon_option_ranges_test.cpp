// Every value the profile accepts for a [site.daemon] key must render into a WSGIDaemonProcess
// option the module accepts: otherwise `wsgid check` passes a profile that `apache2 -t` then
// refuses. Probed at and beyond each end of the module's ranges (contract/daemon_options.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "daemon_options.hpp"
#include "profile/diagnostic.hpp"
#include "profile/load.hpp"
#include "render/site_conf.hpp"
#include "temp_dir.hpp"

namespace wsgid {
namespace {

using daemon_option::Kind;
using daemon_option::Spec;

enum class Unit { kCount, kSeconds, kBytes };

struct ProfileKey {
  const char* key;     // in [site.daemon]
  const char* option;  // what it renders into
  Unit unit;
  const char* also = "";  // another key it needs to be rendered at all
};

constexpr ProfileKey kKeys[] = {
    {"processes", "processes", Unit::kCount},
    {"threads", "threads", Unit::kCount},
    {"maximum_requests", "maximum-requests", Unit::kCount},
    {"maximum_requests_jitter", "maximum-requests-jitter", Unit::kCount, "maximum_requests = 1\n"},
    {"graceful_timeout", "graceful-timeout", Unit::kSeconds},
    {"shutdown_timeout", "shutdown-timeout", Unit::kSeconds},
    {"connect_timeout", "connect-timeout", Unit::kSeconds},
    {"socket_timeout", "socket-timeout", Unit::kSeconds},
    {"request_timeout", "request-timeout", Unit::kSeconds},
    {"queue_timeout", "queue-timeout", Unit::kSeconds},
    {"inactivity_timeout", "inactivity-timeout", Unit::kSeconds},
    {"cpu_time_limit", "cpu-time-limit", Unit::kSeconds},
    {"cpu_priority", "cpu-priority", Unit::kCount},
    {"memory_limit", "memory-limit", Unit::kBytes},
};

// Each end of the module's range, one beyond it, and values far outside.
std::vector<std::int64_t> probes(const Spec& spec) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<std::int64_t> out{spec.min, spec.max, 0, 1, -1, 1'000'000'000'000, kMax};
  if (spec.min > std::numeric_limits<std::int64_t>::min()) out.push_back(spec.min - 1);
  if (spec.max < kMax) out.push_back(spec.max + 1);
  return out;
}

std::string toml_value(Unit unit, std::int64_t v) {
  if (unit == Unit::kSeconds) return "\"" + std::to_string(v) + "s\"";
  return std::to_string(v);
}

// The value the rendered WSGIDaemonProcess line gives `option` ("option=value", quoted as every
// argument is), or "" when it has none.
std::string rendered_value(const std::string& args, const std::string& option) {
  const std::string word = " \"" + option + "=";
  const auto at = args.find(word);
  if (at == std::string::npos) return {};
  const auto start = at + word.size();
  return args.substr(start, args.find('"', start) - start);
}

TEST(DaemonOptionRanges, EveryDaemonValueTheProfileAcceptsTheModuleAcceptsToo) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "wsgi.py") << "def application(e, s): pass\n";
  for (const ProfileKey& key : kKeys) {
    const Spec* spec = daemon_option::find(key.option);
    ASSERT_NE(spec, nullptr) << key.option;
    ASSERT_TRUE(spec->kind == Kind::kNumber || spec->kind == Kind::kZeroOrNumber) << key.option;
    int rendered = 0;  // probes that got as far as the module's parser
    std::string refusal;
    for (const std::int64_t v : probes(*spec)) {
      const auto file = dir.path() / "site.toml";
      std::ofstream(file) << "[[site]]\nname = \"shop\"\nserver_name = \"shop.example.com\"\n"
                          << "app = \"wsgi.py\"\n[site.daemon]\n"
                          << key.also << key.key << " = " << toml_value(key.unit, v) << "\n";
      const auto loaded = profile::load_profile(file.string());
      if (!loaded.profile) {  // refused with the key's position: what we want
        if (!loaded.diagnostics.empty()) refusal = profile::format(loaded.diagnostics[0]);
        continue;
      }
      const render::RenderOptions options{"/run/w", "/m/mod_wsgid.so", true};
      const std::string args =
          render::daemon_process_arguments(loaded.profile->sites.at(0), options);
      std::string value = rendered_value(args, key.option);
      // Options only the daemon reads go to the site's settings file instead.
      for (const auto& setting : render::daemon_settings(loaded.profile->sites.at(0))) {
        if (setting.name == key.option) value = setting.value;
      }
      if (value.empty()) continue;  // not rendered: the module's default applies
      ++rendered;
      EXPECT_TRUE(daemon_option::parse_number(*spec, value.c_str()))
          << key.key << " = " << toml_value(key.unit, v) << " passes the profile but renders "
          << key.option << "=" << value << ", which the module refuses";
    }
    // Else the probes proved nothing (the base profile itself broken, say).
    EXPECT_GT(rendered, 0) << key.key << ": no probe rendered; last refusal: " << refusal;
  }
}

}  // namespace
}  // namespace wsgid
