// A reader for the Prometheus text exposition format (version 0.0.4), enough to read back what
// mod_wsgid's metrics endpoint writes: samples with labels; HELP and TYPE lines are skipped.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsgid::status {

struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // in the order written, unescaped
  double value = 0;

  // The value of label `key`, or nothing when the sample has no such label.
  std::optional<std::string_view> label(std::string_view key) const;
};

struct ParsedMetrics {
  std::vector<Sample> samples;
  std::string error;  // "line 7: ..." for the first malformed line; samples is then empty
};

ParsedMetrics parse_prometheus_text(std::string_view text);

}  // namespace wsgid::status
