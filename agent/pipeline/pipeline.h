#pragma once
// The data path: inputs (a thread each) → normalize workers (N) → output drivers (a thread
// each), joined by lock-free queues of whole batches, bounded by the memory budget.
#include <blockingconcurrentqueue.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/metrics/metrics.h"
#include "agent/pipeline/checkpoint_store.h"
#include "agent/pipeline/memory_budget.h"
#include "agent/pipeline/output_driver.h"
#include "agent/plugin/input.h"
#include "coder/processor.h"

namespace auditrelay {

struct PipelineOptions {
  int workers = 2;
  size_t max_in_flight = 16 * 1024 * 1024;
  std::chrono::milliseconds checkpoint_interval{1000};
  std::chrono::milliseconds shutdown_timeout{10000};
  std::string host;
};

class Pipeline final : public InputHost {
 public:
  Pipeline(PipelineOptions opts, const coder::Transforms& transforms, CheckpointStore& checkpoints, Metrics& metrics);
  ~Pipeline() override;

  void add_input(std::string name, std::unique_ptr<Input> input);
  void add_output(std::unique_ptr<OutputDriver> driver);
  bool start(std::string& error);
  // Stops reading, delivers what is in flight within shutdown_timeout, saves checkpoints.
  void stop();

  // InputHost
  bool acquire(size_t bytes) override { return budget_.acquire(bytes, stopping_); }
  void release(size_t bytes) override { budget_.release(bytes); }
  void submit(std::unique_ptr<RecordBatch> batch) override;
  CheckpointStore& checkpoints() override { return checkpoints_; }
  const std::atomic<bool>& stopping() const override { return stopping_; }
  const std::string& host_name() const override { return opts_.host; }
  Metrics& metrics() override { return metrics_; }

  const MemoryBudget& budget() const { return budget_; }
  const std::vector<std::unique_ptr<OutputDriver>>& outputs() const { return outputs_; }

 private:
  void worker_loop();

  PipelineOptions opts_;
  const coder::Transforms& transforms_;
  CheckpointStore& checkpoints_;
  Metrics& metrics_;
  MemoryBudget budget_;
  moodycamel::BlockingConcurrentQueue<std::unique_ptr<RecordBatch>> work_;
  std::atomic<uint64_t> next_sequence_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> workers_stop_{false};
  std::atomic<int> in_work_{0};

  std::vector<std::pair<std::string, std::unique_ptr<Input>>> inputs_;
  std::vector<std::thread> input_threads_;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<OutputDriver>> outputs_;
  std::thread checkpointer_;
  std::atomic<bool> checkpointer_stop_{false};
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace auditrelay
