#pragma once
// Output plugins only encode, send and classify the answer. Batching, retry with backoff,
// dead-lettering, ordering and acknowledgement belong to the shared output driver.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/pipeline/encoded_batch.h"

namespace auditrelay {

struct OutEvent {
  std::string_view json;
  const EventMeta* meta = nullptr;
  const EncodedBatch* batch = nullptr;  // for meta strings and the source
};

struct OutBatch {
  uint64_t id = 0;  // stable across retries of the same batch (idempotency keys)
  std::vector<OutEvent> events;
  size_t bytes = 0;
  // True once the shutdown deadline has passed: a plugin that waits inside send() (for
  // delivery reports, acknowledgements) gives up and returns retry, so the agent can exit; the
  // unacknowledged events are read again at the next start.
  std::function<bool()> abandoned = [] { return false; };
};

struct SendResult {
  enum class Status { Delivered, Retry, Rejected };
  Status status = Status::Delivered;
  std::chrono::milliseconds retry_after{0};  // from the server; 0 = use backoff
  std::vector<size_t> rejected;              // indexes into OutBatch::events (Rejected)
  std::string reason;                        // why (Retry), or why for every rejected event
  std::vector<std::string> reasons;          // optional: reasons[k] is why rejected[k] was rejected

  // The reason written to the dead-letter file for the k-th rejected event.
  const std::string& reason_for(size_t k) const { return k < reasons.size() ? reasons[k] : reason; }

  static SendResult delivered() { return {}; }
  static SendResult retry(std::string why, std::chrono::milliseconds after = {}) {
    SendResult r;
    r.status = Status::Retry;
    r.reason = std::move(why);
    r.retry_after = after;
    return r;
  }
  static SendResult rejected_events(std::vector<size_t> which, std::string why) {
    SendResult r;
    r.status = Status::Rejected;
    r.rejected = std::move(which);
    r.reason = std::move(why);
    return r;
  }
  // Rejected events with a reason each (a batch can fail for several reasons at once).
  static SendResult rejected_events(std::vector<size_t> which, std::vector<std::string> why_each) {
    SendResult r;
    r.status = Status::Rejected;
    r.rejected = std::move(which);
    r.reasons = std::move(why_each);
    if (!r.reasons.empty()) r.reason = r.reasons.front();
    return r;
  }
};

class Output {
 public:
  virtual ~Output() = default;
  // Called once from the driver thread before the first send.
  virtual void start() {}
  virtual SendResult send(const OutBatch& batch) = 0;
  // Makes written data durable (file outputs); called on flush intervals and at shutdown.
  virtual void flush() {}
  virtual void stop() {}
};

}  // namespace auditrelay
