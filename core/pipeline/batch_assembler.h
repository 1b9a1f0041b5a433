#pragma once
// Cuts the events routed to one output into output batches by count and bytes, and gives each
// output batch one completion share of every pipeline batch it takes events from.
#include <functional>
#include <memory>

#include "core/common/time_source.h"
#include "core/pipeline/in_flight.h"

namespace auditrelay {

class BatchAssembler {
 public:
  struct Limits {
    size_t max_events = 500;
    size_t max_bytes = 1024 * 1024;
  };
  using Emit = std::function<void(std::unique_ptr<InFlight>)>;

  BatchAssembler(Limits limits, uint64_t route_bit, Schema schema, const Output& framing,
                 TimeSource& clock)
      : limits_(limits), bit_(route_bit), schema_(schema), framing_(framing), clock_(clock) {}

  // Takes the events of `batch` routed here; every batch that fills goes to `emit`. Consumes the
  // one completion share of `batch` the caller holds (the pipeline gives each output one).
  void add(const std::shared_ptr<EncodedBatch>& batch, const Emit& emit);
  // The batch being built, or nullptr when it is empty.
  std::unique_ptr<InFlight> take();
  bool empty() const { return !current_ || current_->batch.events.empty(); }
  // When the batch being built got its first event.
  TimeSource::time_point started() const { return started_; }

 private:
  Limits limits_;
  uint64_t bit_;
  Schema schema_;
  const Output& framing_;
  TimeSource& clock_;
  std::unique_ptr<InFlight> current_;
  TimeSource::time_point started_{};
};

}  // namespace auditrelay
