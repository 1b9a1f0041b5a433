#pragma once
// Counters, gauges and histograms, named like Prometheus series
// ("auditrelay_events_read_total{input=\"x\"}"). Lookup takes a lock; increments are relaxed
// atomics, so hot paths look a counter up once and keep the reference.
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/metrics/metric_info.h"

namespace auditrelay {

// A Prometheus histogram with fixed bucket bounds; observe() is lock-free.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts per bound, then +Inf (the total).
  std::vector<uint64_t> cumulative() const;
  double sum() const {
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (the last: above all)
  std::atomic<uint64_t> sum_micros_{0};
};

class Metrics {
 public:
  using Counter = std::atomic<uint64_t>;
  // Seconds buckets for latencies, 5 ms to 60 s.
  static const std::vector<double>& latency_buckets();
  Histogram& histogram(const std::string& name, const std::string& labels = {},
                       const std::vector<double>& bounds = latency_buckets());
  Counter& counter(const std::string& name, const std::string& labels = {});
  std::atomic<int64_t>& gauge(const std::string& name, const std::string& labels = {});
  // Declares a metric: rendered with # HELP and # TYPE from now on, with a 0 sample already when
  // it has no labels (a series with labels appears when its component creates it).
  void describe(const MetricInfo& info);
  // A counter's or gauge's current value (0 when unknown).
  uint64_t value(const std::string& name, const std::string& labels = {}) const;
  // Prometheus text exposition.
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::deque<Counter> counters_;
  std::deque<std::atomic<int64_t>> gauges_;
  std::deque<Histogram> histograms_;
  std::map<std::string, std::map<std::string, Histogram*>> histogram_index_;
  std::map<std::string, std::map<std::string, Counter*>> counter_index_;
  std::map<std::string, std::map<std::string, std::atomic<int64_t>*>> gauge_index_;
  std::map<std::string, MetricInfo> described_;
};

}  // namespace auditrelay
