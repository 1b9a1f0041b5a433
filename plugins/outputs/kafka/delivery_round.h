#pragma once
// The messages one send() of the kafka output produced in one attempt, and how the sender
// learns that every one of them has its delivery report.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace auditrelay::kafka {

struct DeliveryRound;

// One message of a round; its address is the message's opaque, so a delivery report finds its
// slot without a lookup.
struct DeliverySlot {
  DeliveryRound* round = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
};

// It lives until every message it produced has been reported: an abandoned round (purged, or
// timed out) is parked until then, since reports can still arrive for it.
// `outstanding` counts the messages produced and not yet reported, plus one for the sender until
// it has produced them all (so that early reports cannot finish the round). Only the report that
// brings it to zero takes the mutex (once per batch, not per message), to set `reported` and wake
// the sender; whoever frees a round first sees `reported` under the mutex.
struct DeliveryRound {
  using Clock = std::chrono::steady_clock;

  explicit DeliveryRound(size_t n) : slots(n) {
    for (auto& s : slots) s.round = this;
  }
  DeliveryRound(const DeliveryRound&) = delete;
  DeliveryRound& operator=(const DeliveryRound&) = delete;

  // Before producing a message (its report may come at once, on another thread).
  void expect_one() { outstanding.fetch_add(1, std::memory_order_relaxed); }
  // A message that was not produced after all (librdkafka refused it).
  void unexpect_one() { outstanding.fetch_sub(1, std::memory_order_relaxed); }
  // A delivery report (its slot's err set first), or the sender done producing.
  void report_one() {
    if (outstanding.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::lock_guard lock(mu_);
    reported_ = true;
    cv_.notify_all();
  }
  // True when the last report came before `deadline` (checking in between whether the driver
  // abandoned the batch at shutdown).
  bool wait_reported(Clock::time_point deadline, const std::function<bool()>& abandoned) {
    std::unique_lock lock(mu_);
    while (!reported_ && Clock::now() < deadline && !abandoned())
      cv_.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(100)));
    return reported_;
  }
  // Every message has its report: the round may be freed.
  bool finished() {
    std::lock_guard lock(mu_);
    return reported_;
  }
  bool awaits_reports() const { return outstanding.load(std::memory_order_acquire) > 0; }

  std::vector<DeliverySlot> slots;

 private:
  std::atomic<int64_t> outstanding{1};  // the sender's own share until it has produced all
  std::mutex mu_;
  std::condition_variable cv_;
  bool reported_ = false;  // under mu_
};

}  // namespace auditrelay::kafka
