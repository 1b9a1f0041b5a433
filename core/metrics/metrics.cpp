#include "core/metrics/metrics.h"

#include <algorithm>
#include <cstdio>

namespace auditrelay {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                 bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(std::max(0.0, value) * 1e6),
                        std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i)
    out[i] = total += buckets_[i].load(std::memory_order_relaxed);
  return out;
}

const std::vector<double>& Metrics::latency_buckets() {
  static const std::vector<double> b{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                     1,     2.5,  5,     10,   30,  60};
  return b;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& labels,
                              const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  auto& slot = histogram_index_[name][labels];
  if (!slot) slot = &histograms_.emplace_back(bounds);
  return *slot;
}

namespace {
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
}  // namespace

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

void Metrics::describe(const MetricInfo& info) {
  if (info.labels.empty()) {
    if (info.type == MetricType::Counter)
      counter(info.name);
    else if (info.type == MetricType::Gauge)
      gauge(info.name);
    else
      histogram(info.name);
  }
  std::lock_guard lock(mu_);
  described_[info.name] = info;
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  auto header = [&](const std::string& name, std::string_view type) {
    if (auto it = described_.find(name); it != described_.end())
      out += "# HELP " + name + " " + it->second.help + "\n";
    out += "# TYPE " + name + " " + std::string(type) + "\n";
  };
  for (const auto& [name, series] : counter_index_) {
    header(name, "counter");
    for (const auto& [labels, c] : series)
      out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(c->load()) +
             "\n";
  }
  for (const auto& [name, series] : gauge_index_) {
    header(name, "gauge");
    for (const auto& [labels, g] : series)
      out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(g->load()) +
             "\n";
  }
  for (const auto& [name, series] : histogram_index_) {
    header(name, "histogram");
    for (const auto& [labels, h] : series) {
      std::string sep = labels.empty() ? "" : labels + ",";
      auto counts = h->cumulative();
      for (size_t i = 0; i < h->bounds().size(); ++i)
        out += name + "_bucket{" + sep + "le=\"" + number(h->bounds()[i]) + "\"} " +
               std::to_string(counts[i]) + "\n";
      out += name + "_bucket{" + sep + "le=\"+Inf\"} " + std::to_string(counts.back()) + "\n";
      std::string braces = labels.empty() ? "" : "{" + labels + "}";
      out += name + "_sum" + braces + " " + number(h->sum()) + "\n";
      out += name + "_count" + braces + " " + std::to_string(counts.back()) + "\n";
    }
  }
  // Declared, but no component has made a series yet (a label value not seen so far).
  for (const auto& [name, info] : described_)
    if (!counter_index_.contains(name) && !gauge_index_.contains(name) &&
        !histogram_index_.contains(name))
      header(name, metric_type_name(info.type));
  return out;
}

}  // namespace auditrelay
