#pragma once
// Counters and gauges, named like Prometheus series ("auditrelay_events_read_total{input=\"x\"}").
// Lookup takes a lock; increments are relaxed atomics, so hot paths look a counter up once and
// keep the reference.
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace auditrelay {

class Metrics {
 public:
  using Counter = std::atomic<uint64_t>;
  Counter& counter(const std::string& name, const std::string& labels = {});
  std::atomic<int64_t>& gauge(const std::string& name, const std::string& labels = {});
  // A counter's or gauge's current value (0 when unknown).
  uint64_t value(const std::string& name, const std::string& labels = {}) const;
  // Prometheus text exposition.
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::deque<Counter> counters_;
  std::deque<std::atomic<int64_t>> gauges_;
  std::map<std::string, std::map<std::string, Counter*>> counter_index_;
  std::map<std::string, std::map<std::string, std::atomic<int64_t>*>> gauge_index_;
};

}  // namespace auditrelay
