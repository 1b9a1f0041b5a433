#include "agent/metrics/metrics.h"

#include <algorithm>

namespace auditrelay {

Metrics::Counter& Metrics::counter(const std::string& name, const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& slot = counter_index_[name][labels];
  if (!slot) slot = &counters_.emplace_back(0);
  return *slot;
}

std::atomic<int64_t>& Metrics::gauge(const std::string& name, const std::string& labels) {
  std::lock_guard lock(mu_);
  auto& slot = gauge_index_[name][labels];
  if (!slot) slot = &gauges_.emplace_back(0);
  return *slot;
}

uint64_t Metrics::value(const std::string& name, const std::string& labels) const {
  std::lock_guard lock(mu_);
  if (auto it = counter_index_.find(name); it != counter_index_.end()) {
    auto jt = it->second.find(labels);
    return jt == it->second.end() ? 0 : jt->second->load(std::memory_order_relaxed);
  }
  // A gauge reads as its value, clamped at 0.
  auto it = gauge_index_.find(name);
  if (it == gauge_index_.end()) return 0;
  auto jt = it->second.find(labels);
  return jt == it->second.end() ? 0
                                : static_cast<uint64_t>(std::max<int64_t>(0, jt->second->load()));
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, series] : counter_index_) {
    out += "# TYPE " + name + " counter\n";
    for (const auto& [labels, c] : series)
      out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(c->load()) +
             "\n";
  }
  for (const auto& [name, series] : gauge_index_) {
    out += "# TYPE " + name + " gauge\n";
    for (const auto& [labels, g] : series)
      out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(g->load()) +
             "\n";
  }
  return out;
}

}  // namespace auditrelay
