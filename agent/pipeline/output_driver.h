#pragma once
// The output driver shared by every output (the OpenTelemetry Collector's exporter helper idea):
// it restores pipeline order, batches by events/bytes/age, sends through the plugin with up to
// `concurrency` batches in flight, retries with exponential backoff and jitter (honouring a
// server's retry-after), dead-letters rejected events and acknowledges batches only once
// delivered. With a disk buffer, batches are acknowledged once written to the buffer and sent
// from there.
#include <blockingconcurrentqueue.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "agent/metrics/metrics.h"
#include "agent/pipeline/dead_letter.h"
#include "agent/pipeline/disk_buffer.h"
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
  int concurrency = 1;         // batches in flight
  bool shared_output = false;  // one output instance takes every sender's send() at once
  std::string data_dir;
  // Disk buffer (buffer.type: disk).
  bool disk_buffer = false;
  uint64_t buffer_max_size = 1ull << 30;
  bool buffer_drop_oldest = false;
};

using OutputFactoryFn = std::function<std::unique_ptr<Output>()>;

class OutputDriver {
 public:
  OutputDriver(OutputDriverOptions opts, OutputFactoryFn factory, Metrics& metrics);
  ~OutputDriver();
  OutputDriver(const OutputDriver&) = delete;
  OutputDriver& operator=(const OutputDriver&) = delete;

  bool start(std::string& error);
  // The first pipeline sequence this driver will be offered (a driver added by a reload starts
  // mid-stream). Call before the first enqueue.
  void set_first_sequence(uint64_t sequence) { next_sequence_ = sequence; }
  bool uses_disk_buffer() const { return opts_.disk_buffer; }
  int index() const { return opts_.index; }
  // Every pipeline batch is offered to every driver (in any order; the driver restores it).
  void enqueue(std::shared_ptr<EncodedBatch> batch) { queue_.enqueue(std::move(batch)); }
  // Stops taking new batches once `deadline` passes; delivers what it has until then.
  void stop(std::chrono::steady_clock::time_point deadline);
  const std::string& name() const { return opts_.name; }
  // Seconds the output has been failing; 0 when healthy.
  int64_t failing_for_seconds() const;

 private:
  using Owners =
      std::vector<std::pair<std::shared_ptr<EncodedBatch>, bool>>;  // (batch, completes here)
  struct Pending {
    OutBatch batch;
    Owners owners;
  };

  void run();
  void buffer_writer_run();
  void sender_run(Output* output);
  bool take_ordered(std::shared_ptr<EncodedBatch> batch,
                    std::vector<std::shared_ptr<EncodedBatch>>& ready);
  void add(const std::shared_ptr<EncodedBatch>& batch);
  void dispatch();
  void deliver(Pending& p, Output& output);
  bool sleep_for(std::chrono::milliseconds d);
  bool stopping_hard() const;

  OutputDriverOptions opts_;
  OutputFactoryFn factory_;
  std::vector<std::unique_ptr<Output>> outputs_;
  Metrics& metrics_;
  moodycamel::BlockingConcurrentQueue<std::shared_ptr<EncodedBatch>> queue_;
  std::map<uint64_t, std::shared_ptr<EncodedBatch>> reorder_;
  uint64_t next_sequence_ = 0;

  Pending current_;
  std::chrono::steady_clock::time_point current_started_{};
  uint64_t next_batch_id_ = 1;

  // concurrency > 1: batches ready to send, taken by sender threads.
  moodycamel::BlockingConcurrentQueue<std::unique_ptr<Pending>> ready_;
  std::atomic<int> in_flight_{0};
  std::vector<std::thread> senders_;

  std::unique_ptr<DiskBuffer> buffer_;
  std::thread buffer_writer_;
  std::atomic<bool> writer_done_{false};

  DeadLetterFile dlq_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> senders_stop_{false};
  std::atomic<int64_t> deadline_ns_{INT64_MAX};
  std::atomic<int64_t> failing_since_ns_{0};

  Metrics::Counter& sent_;
  Metrics::Counter& failed_;
  Metrics::Counter& retried_;
  Metrics::Counter& dead_lettered_;
  Metrics::Counter& batches_;
  Histogram& latency_;
};

}  // namespace auditrelay
