#pragma once
// What a metric is, declared once by the layer that owns it (core, coder, each plugin): /metrics
// prints it as # HELP and # TYPE from the start, and `auditrelay docs metrics` writes the table
// in docs/operations.md from the same declarations.
#include <string>
#include <vector>

namespace auditrelay {

enum class MetricType { Counter, Gauge, Histogram };

struct MetricInfo {
  std::string name;
  MetricType type = MetricType::Counter;
  std::string labels;  // for the docs: "output", "input, stream"; empty = one series
  std::string help;
};

std::string_view metric_type_name(MetricType t);

// The Markdown table of docs/operations.md's Metrics section.
std::string metrics_markdown(const std::vector<MetricInfo>& metrics);

}  // namespace auditrelay
