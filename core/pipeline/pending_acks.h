#pragma once
// Output batches the destination accepted and has yet to acknowledge (Splunk's indexer ack),
// bounded by count; their memory stays counted in the pipeline's budget until they complete.
// Senders add; the driver's acknowledgement thread polls them, many ids per request.
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "core/pipeline/in_flight.h"

namespace auditrelay {

class PendingAcks {
 public:
  explicit PendingAcks(size_t max_batches) : max_(max_batches == 0 ? 1 : max_batches) {}

  // Waits for room, unless `give_up` says the caller must stop (then returns the batch back).
  std::unique_ptr<InFlight> add(std::unique_ptr<InFlight> f, const std::function<bool()>& give_up);

  struct Sweep {
    std::vector<std::unique_ptr<InFlight>> acknowledged;  // every id acknowledged
    std::vector<std::unique_ptr<InFlight>> expired;       // past their deadline: send again
  };
  // One round: asks each instance that holds pending ids (outside the lock), then takes out the
  // batches that are fully acknowledged and those past their deadline at `now`.
  Sweep poll(TimeSource::time_point now);
  size_t size() const;
  // What is left at shutdown: given up, never acknowledged to the source.
  std::vector<std::unique_ptr<InFlight>> drain();

 private:
  const size_t max_;
  mutable std::mutex mu_;
  std::condition_variable room_;
  std::list<std::unique_ptr<InFlight>> batches_;
};

}  // namespace auditrelay
