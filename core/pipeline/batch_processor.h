#pragma once
// The stage the pipeline's workers run on every batch (parse, normalize, filter, route, encode).
// The pipeline knows only this interface: the schema layer implements it, and a reload hands the
// pipeline a new factory, which it swaps in at a sequence boundary.
#include <cstddef>
#include <memory>

#include "core/event/record.h"
#include "core/metrics/metrics.h"
#include "core/pipeline/encoded_batch.h"

namespace auditrelay {

class BatchProcessor {
 public:
  virtual ~BatchProcessor() = default;
  // Appends the batch's events to out (out.json, out.events); returns the number kept.
  virtual size_t process(const RecordBatch& in, EncodedBatch& out) = 0;
};

class ProcessorFactory {
 public:
  virtual ~ProcessorFactory() = default;
  // One per worker thread: a processor keeps per-thread scratch. metrics may be null.
  virtual std::unique_ptr<BatchProcessor> make_processor(Metrics* metrics) const = 0;
};

}  // namespace auditrelay
