#pragma once
// `auditrelay tap`: live copies of the events the processors make, for the clients of the
// server's GET /tap. The hub keeps the clients; each processor offers its events to them after
// drop, alert tagging and routing, encoded (and redacted) in the client's schema. With no client
// the cost is one relaxed load per batch; with clients, one lock per batch, never per event.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "coder/event/event.h"
#include "core/event/schema.h"
#include "core/metrics/metrics.h"
#include "core/server/tap_stream.h"
#include "coder/query.h"
#include "coder/schemas/schema_writer.h"

namespace auditrelay::coder {

// What one client asked for.
struct TapFilter {
  AnyQuery match;           // empty: every event
  std::string input;        // empty: every input
  int output = -1;          // an output's routing index: only what that output receives
  std::string output_name;  // that output's name (a reload that changes it ends the tap)
  Schema output_schema = Schema::AuditV1;  // and its schema then
  Schema schema = Schema::AuditV1;         // what the client receives
};

struct TapClient {
  TapFilter filter;
  std::shared_ptr<TapStream> stream = std::make_shared<TapStream>();
};

class TapHub {
 public:
  using Snapshot = std::shared_ptr<const std::vector<std::shared_ptr<TapClient>>>;
  explicit TapHub(Metrics& metrics);
  void subscribe(std::shared_ptr<TapClient> client);
  // Removes the client and closes its stream.
  void unsubscribe(const std::shared_ptr<TapClient>& client);
  // Closes every stream (the agent stops): the server's connections end.
  void close_all();
  // Closes the streams of the clients `stale` picks, telling them why (a reload changed their
  // output), and removes them.
  void close_where(const std::function<bool(const TapClient&)>& stale, const std::string& why);
  size_t clients() const { return count_.load(std::memory_order_relaxed); }
  // The clients now; null when there are none.
  Snapshot snapshot() const;
  Metrics::Counter& dropped() const { return dropped_; }

 private:
  std::atomic<size_t> count_{0};
  mutable std::mutex mu_;
  Snapshot clients_;
  Metrics::Counter& dropped_;
  std::atomic<int64_t>& clients_gauge_;
};

// One processor's tap work for one batch: each client's lines, pushed once at the end.
class TapBatch {
 public:
  // Takes the hub's clients for this batch (none when hub is null or has none).
  void begin(const TapHub* hub);
  bool active() const { return snapshot_ != nullptr; }
  // e as the outputs receive it: routes holds the bits of the outputs it goes to. Never throws:
  // what cannot be encoded for a client counts as dropped for it.
  void offer(const Event& e, std::string_view input, uint64_t routes,
             const EncodeContext& ctx) noexcept;
  void finish();

 private:
  const TapHub* hub_ = nullptr;
  TapHub::Snapshot snapshot_;
  std::vector<std::string> lines_;  // per client, reused from batch to batch
};

}  // namespace auditrelay::coder
