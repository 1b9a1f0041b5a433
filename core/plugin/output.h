#pragma once
// Output plugins only encode, send and classify the answer. Batching, retry with backoff,
// dead-lettering, ordering, acknowledgement polling and completion belong to the shared output
// driver (core/pipeline/output_driver.h); no plugin loops on its own.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pipeline/encoded_batch.h"

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
  // delivery reports) gives up and returns retry, so the agent can exit; the unacknowledged
  // events are read again at the next start.
  std::function<bool()> abandoned = [] { return false; };
};

// The answer to one send. Indexes refer to OutBatch::events as sent.
//  - `rejected` events (with any status) are permanently refused: the driver dead-letters them.
//  - Delivered: every other event is delivered.
//  - Retry: `resend` lists the events to send again (empty: every event not rejected); the
//    others are delivered. The driver waits (backoff, or `retry_after`) and sends them again.
//  - AckPending: every event not rejected was accepted, and the destination will acknowledge
//    them later under `ack_ids`; the driver polls them through Output::poll_acks.
// Rejected alone (no other status) means "delivered, except these", kept as a name for clarity.
struct SendResult {
  enum class Status { Delivered, Retry, Rejected, AckPending };
  Status status = Status::Delivered;
  std::chrono::milliseconds retry_after{0};  // from the server; 0 = use backoff
  std::vector<size_t> rejected;
  std::vector<size_t> resend;
  std::vector<uint64_t> ack_ids;
  std::string reason;                // why (Retry), or why for every rejected event
  std::vector<std::string> reasons;  // optional: reasons[k] is why rejected[k] was rejected

  // The reason written to the dead-letter file for the k-th rejected event.
  const std::string& reason_for(size_t k) const { return k < reasons.size() ? reasons[k] : reason; }

  static SendResult delivered() { return {}; }
  static SendResult retry_all(std::string why, std::chrono::milliseconds after = {}) {
    SendResult r;
    r.status = Status::Retry;
    r.reason = std::move(why);
    r.retry_after = after;
    return r;
  }
  // Kept for the plugins' readability: the whole batch again.
  static SendResult retry(std::string why, std::chrono::milliseconds after = {}) {
    return retry_all(std::move(why), after);
  }
  static SendResult retry_events(std::vector<size_t> which, std::string why,
                                 std::chrono::milliseconds after = {}) {
    SendResult r = retry_all(std::move(why), after);
    r.resend = std::move(which);
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
  static SendResult ack_pending(std::vector<uint64_t> ids) {
    SendResult r;
    r.status = Status::AckPending;
    r.ack_ids = std::move(ids);
    return r;
  }
};

// How the driver treats an output's asynchronous acknowledgements (Splunk's indexer ack).
struct AckSettings {
  bool enabled = false;
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds timeout{300000};  // a batch not acknowledged by then is sent again
  size_t max_pending = 10000;                 // batches awaiting acknowledgement at once
};

class Output {
 public:
  virtual ~Output() = default;
  // Called once from a driver thread before the first send.
  virtual void start() {}
  virtual SendResult send(const OutBatch& batch) = 0;
  // Bytes the plugin adds around one event (separator, envelope): the driver counts them
  // against batch.max_bytes so that one batch fits one request. Called from the driver's
  // batching thread while other threads send: a pure function of the configuration.
  virtual size_t framing_bytes(const OutEvent&) const { return 1; }
  // The largest request the destination takes: the driver closes batches below it (with the
  // framing above), so the plugin never splits a batch on its own.
  virtual size_t max_request_bytes() const { return SIZE_MAX; }
  // Asynchronous acknowledgements: when enabled, send() may answer AckPending, and the driver
  // asks, from its own thread (concurrently with send() on this instance), which of `ids` are
  // now acknowledged. An id missing from the answer stays pending; on a transport error, return
  // an empty list. Ids must be unique among one instance's pending ids (the driver matches them
  // per instance), even when the destination numbers them anew.
  virtual AckSettings ack_settings() const { return {}; }
  virtual std::vector<uint64_t> poll_acks(const std::vector<uint64_t>& /*ids*/) { return {}; }
  // Makes written data durable (file outputs); called on flush intervals and at shutdown.
  virtual void flush() {}
  virtual void stop() {}
};

}  // namespace auditrelay
