#pragma once
// An acknowledgement token travels with a batch through every stage. Each output that receives
// the batch owes it one answer; when the last answer arrives, the batch's source may move its
// checkpoint past it and its memory goes back to the budget.
#include <atomic>
#include <functional>

namespace auditrelay {

class AckToken {
 public:
  explicit AckToken(std::function<void()> on_complete = {}) : on_complete_(std::move(on_complete)) {}
  AckToken(const AckToken&) = delete;
  AckToken& operator=(const AckToken&) = delete;

  // Adds n answers owed. Call before handing the batch to the stages that will answer.
  void expect(int n) { pending_.fetch_add(n, std::memory_order_relaxed); }
  // One answer; the last runs the completion.
  void done() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1 && on_complete_) on_complete_();
  }
  // Runs an extra completion step first (e.g. returning memory to the budget).
  void also_on_complete(std::function<void()> f) {
    auto prev = std::move(on_complete_);
    on_complete_ = [f = std::move(f), prev = std::move(prev)] {
      f();
      if (prev) prev();
    };
  }
  int pending() const { return pending_.load(std::memory_order_acquire); }

 private:
  // Starts at 1: the creator's own share, released by done() when it has handed the batch on.
  std::atomic<int> pending_{1};
  std::function<void()> on_complete_;
};

}  // namespace auditrelay
