#pragma once
// The output driver shared by every output (the OpenTelemetry Collector's exporter helper idea):
// it restores pipeline order, batches by events/bytes/age, sends through the plugin, retries with
// exponential backoff and jitter (honouring a server's retry-after), dead-letters rejected events
// and acknowledges batches only once delivered.
#include <blockingconcurrentqueue.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "agent/metrics/metrics.h"
#include "agent/pipeline/dead_letter.h"
#include "agent/pipeline/encoded_batch.h"
#include "agent/plugin/output.h"

namespace auditrelay {

struct OutputDriverOptions {
  std::string name;
  int index = 0;  // routing bit
  size_t max_events = 500;
  size_t max_bytes = 1024 * 1024;
  std::chrono::milliseconds max_delay{1000};
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30000};
  std::string data_dir;
};

class OutputDriver {
 public:
  OutputDriver(OutputDriverOptions opts, std::unique_ptr<Output> output, Metrics& metrics);
  ~OutputDriver();
  OutputDriver(const OutputDriver&) = delete;
  OutputDriver& operator=(const OutputDriver&) = delete;

  void start();
  // Every pipeline batch is offered to every driver (in any order; the driver restores it).
  void enqueue(std::shared_ptr<EncodedBatch> batch) { queue_.enqueue(std::move(batch)); }
  // Stops taking new batches once `deadline` passes; delivers what it has until then.
  void stop(std::chrono::steady_clock::time_point deadline);
  const std::string& name() const { return opts_.name; }
  // Seconds since the output last succeeded while it has been failing; 0 when healthy.
  int64_t failing_for_seconds() const;

 private:
  void run();
  void take(std::shared_ptr<EncodedBatch> batch);
  void send_current();
  bool sleep_for(std::chrono::milliseconds d);
  bool stopping_hard() const;

  OutputDriverOptions opts_;
  std::unique_ptr<Output> output_;
  Metrics& metrics_;
  moodycamel::BlockingConcurrentQueue<std::shared_ptr<EncodedBatch>> queue_;
  std::map<uint64_t, std::shared_ptr<EncodedBatch>> reorder_;
  uint64_t next_sequence_ = 0;

  OutBatch current_;
  std::vector<std::pair<std::shared_ptr<EncodedBatch>, bool>> owners_;  // (batch, completes here)
  std::chrono::steady_clock::time_point current_started_{};
  uint64_t next_batch_id_ = 1;

  DeadLetterFile dlq_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<int64_t> deadline_ns_{INT64_MAX};
  std::atomic<int64_t> failing_since_ns_{0};
  std::mt19937_64 rng_{std::random_device{}()};

  Metrics::Counter& sent_;
  Metrics::Counter& failed_;
  Metrics::Counter& retried_;
  Metrics::Counter& dead_lettered_;
  Metrics::Counter& batches_;
};

}  // namespace auditrelay
