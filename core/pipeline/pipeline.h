#pragma once
// The data path: inputs (a thread each) → normalize workers (N) → output drivers (a thread
// each), joined by lock-free queues of whole batches, bounded by the memory budget.
// A reload changes inputs, outputs and transforms while it runs: inputs are started and stopped
// one by one, and outputs and transforms are swapped at a sequence boundary (every batch before
// it went to the old set, every batch after it to the new), so unchanged outputs see no gap.
#include <blockingconcurrentqueue.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/pipeline/checkpoint_store.h"
#include "core/pipeline/memory_budget.h"
#include "core/pipeline/output_driver.h"
#include "core/pipeline/batch_processor.h"
#include "core/plugin/input.h"

namespace auditrelay {

struct PipelineOptions {
  int workers = 2;
  size_t max_in_flight = 4 * 1024 * 1024;
  std::chrono::milliseconds checkpoint_interval{1000};
  std::chrono::milliseconds shutdown_timeout{10000};
  std::string host;
};

// What a reload does to the outputs: which drivers leave, which join, and the transforms (the
// processors, whose routes are indexed by driver index) that apply from the swap on.
struct OutputChange {
  std::vector<std::string> remove;
  std::vector<std::unique_ptr<OutputDriver>> add;
  std::shared_ptr<const ProcessorFactory> transforms;
};

class Pipeline {
 public:
  Pipeline(PipelineOptions opts, std::shared_ptr<const ProcessorFactory> transforms,
           CheckpointStore& checkpoints, Metrics& metrics);
  ~Pipeline();

  // Before start, or while running (the input starts at once).
  void add_input(std::string name, std::unique_ptr<Input> input);
  // Stops one input and waits (until deadline) for its batches to be acknowledged, so that a
  // replacement resumes from where this one was acknowledged. false when some were not.
  bool remove_input(const std::string& name, std::chrono::steady_clock::time_point deadline);
  void add_output(std::unique_ptr<OutputDriver> driver);  // before start
  bool start(std::string& error);
  // While running: swaps outputs and transforms at a sequence boundary; removed drivers deliver
  // what they hold until deadline. false with error when a new driver cannot start (nothing
  // changed then, except for a disk-buffered output replaced under the same name).
  bool change_outputs(OutputChange change, std::chrono::steady_clock::time_point deadline,
                      std::string& error);
  // Stops reading, delivers what is in flight within shutdown_timeout, saves checkpoints.
  void stop();

  CheckpointStore& checkpoints() { return checkpoints_; }
  const MemoryBudget& budget() const { return budget_; }
  const std::vector<std::unique_ptr<OutputDriver>>& outputs() const { return outputs_; }  // tests
  // (name, seconds failing) of every output; safe against a concurrent reload.
  std::vector<std::pair<std::string, int64_t>> output_failures() const;
  std::vector<std::string> input_names() const;

 private:
  // One input's view of the pipeline: its own stop flag, and a count of its batches not yet
  // acknowledged (what remove_input waits for).
  struct InputSlot final : InputHost {
    InputSlot(Pipeline& p, std::string n, std::unique_ptr<Input> in)
        : pipeline(p), name(std::move(n)), input(std::move(in)) {}
    bool acquire(size_t bytes) override { return pipeline.budget_.acquire(bytes, stop); }
    void release(size_t bytes) override { pipeline.budget_.release(bytes); }
    void submit(std::unique_ptr<RecordBatch> batch) override;
    CheckpointStore& checkpoints() override { return pipeline.checkpoints_; }
    const std::atomic<bool>& stopping() const override { return stop; }
    const std::string& host_name() const override { return pipeline.opts_.host; }
    Metrics& metrics() override { return pipeline.metrics_; }

    Pipeline& pipeline;
    std::string name;
    std::unique_ptr<Input> input;
    std::thread thread;
    std::atomic<bool> stop{false};
    std::shared_ptr<std::atomic<int64_t>> unacknowledged =
        std::make_shared<std::atomic<int64_t>>(0);
  };

  void submit(std::unique_ptr<RecordBatch> batch);
  void start_input(InputSlot& slot);
  void worker_loop();
  // Holds back new batches and waits until every batch handed over has reached the outputs.
  void close_gate();
  void open_gate();

  PipelineOptions opts_;
  std::shared_ptr<const ProcessorFactory> transforms_;
  CheckpointStore& checkpoints_;
  Metrics& metrics_;
  MemoryBudget budget_;
  moodycamel::BlockingConcurrentQueue<std::unique_ptr<RecordBatch>> work_;
  std::atomic<uint64_t> next_sequence_{0};
  std::atomic<bool> workers_stop_{false};
  std::atomic<int> in_work_{0};
  // The reload gate: submit() waits while it is closed; `submitting_` counts submits under way.
  std::atomic<bool> gate_closed_{false};
  std::atomic<int> submitting_{0};
  std::atomic<uint64_t> generation_{0};  // bumped when transforms change; workers rebuild

  std::vector<std::unique_ptr<InputSlot>> inputs_;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<OutputDriver>> outputs_;
  // Taken by a reload while it changes outputs_, by readers outside the data path and by an
  // input about to wait for memory (it asks the drivers to send what is filling); the
  // workers need no lock (the reload gate keeps them away while outputs_ changes).
  mutable std::mutex outputs_mu_;
  std::thread checkpointer_;
  std::atomic<bool> checkpointer_stop_{false};
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace auditrelay
