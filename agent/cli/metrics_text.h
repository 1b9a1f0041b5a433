#pragma once
// Reads the Prometheus text exposition the agent's /metrics serves (for `auditrelay top`).
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace auditrelay {

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample line; comments and lines that do not parse are skipped.
std::vector<MetricSample> parse_metrics_text(std::string_view text);

}  // namespace auditrelay
