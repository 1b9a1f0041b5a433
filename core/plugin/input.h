#pragma once
// Input plugins read a source and hand batches of framed records to the pipeline through an
// InputHost. An input runs in its own thread until the host says stop.
#include <atomic>
#include <memory>
#include <string>

#include "core/event/record.h"
#include "core/pipeline/checkpoint_store.h"

namespace auditrelay {

class Metrics;

class InputHost {
 public:
  virtual ~InputHost() = default;
  // Waits for memory budget; false when the agent is stopping.
  virtual bool acquire(size_t bytes) = 0;
  // Gives back budget acquired for a batch that will not be submitted.
  virtual void release(size_t bytes) = 0;
  // Hands a batch on. batch->budget must hold what was acquired for it; batch->ack is set by
  // the input (its completion moves the input's checkpoint).
  virtual void submit(std::unique_ptr<RecordBatch> batch) = 0;
  virtual CheckpointStore& checkpoints() = 0;
  virtual const std::atomic<bool>& stopping() const = 0;
  virtual const std::string& host_name() const = 0;
  virtual Metrics& metrics() = 0;
};

class Input {
 public:
  virtual ~Input() = default;
  // Runs until host.stopping() is true; then returns promptly.
  virtual void run(InputHost& host) = 0;
};

}  // namespace auditrelay
