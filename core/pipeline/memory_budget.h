#pragma once
// The pipeline's memory bound (pipeline.max_in_flight). Bytes are taken when an input makes a
// batch and given back when the last output is done with it. An input that cannot get budget
// waits: for a file that is free backpressure, since the file is the buffer.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

namespace auditrelay {

class MemoryBudget {
 public:
  explicit MemoryBudget(size_t limit) : limit_(limit) {}

  // Called, outside the lock, each time an acquire is about to wait: budget held by a batch that
  // is still filling comes back only once that batch is sent, so its holder should send it now
  // rather than at its max_delay. Set before any thread acquires.
  void on_wait(std::function<void()> hook) { on_wait_ = std::move(hook); }

  // Blocks until n bytes fit or `stop` becomes true. A single request larger than the whole
  // budget is granted when nothing else is in flight, so an oversized batch cannot deadlock.
  bool acquire(size_t n, const std::atomic<bool>& stop) {
    std::unique_lock lock(mu_);
    bool announced = false;
    while (!stop.load(std::memory_order_relaxed)) {
      size_t used = used_.load(std::memory_order_relaxed);
      if (used + n <= limit_ || used == 0) {
        used_.fetch_add(n, std::memory_order_relaxed);
        return true;
      }
      if (on_wait_ && !announced) {
        announced = true;
        lock.unlock();
        on_wait_();
        lock.lock();
        continue;  // look again: a release may have come meanwhile
      }
      announced = false;  // announce again if a wake-up still finds no room
      waiting_ = true;
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    return false;
  }

  // Takes n bytes without waiting (for stages that must not block, e.g. encoded output).
  void force(size_t n) { used_.fetch_add(n, std::memory_order_relaxed); }

  void release(size_t n) {
    used_.fetch_sub(n, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    if (waiting_) {
      waiting_ = false;
      cv_.notify_all();
    }
  }

  size_t used() const { return used_.load(std::memory_order_relaxed); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool waiting_ = false;
  std::function<void()> on_wait_;
};

// Bytes held from a budget for as long as this lives: the memory they stand for is freed with
// it (an encoded batch gives its bytes back when the last stage drops it, acknowledged or not).
class BudgetShare {
 public:
  BudgetShare() = default;
  BudgetShare(MemoryBudget& budget, size_t bytes) : budget_(&budget), bytes_(bytes) {}
  BudgetShare(BudgetShare&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) {
    o.budget_ = nullptr;
  }
  BudgetShare& operator=(BudgetShare&& o) noexcept {
    if (this != &o) {
      reset();
      budget_ = o.budget_;
      bytes_ = o.bytes_;
      o.budget_ = nullptr;
    }
    return *this;
  }
  BudgetShare(const BudgetShare&) = delete;
  BudgetShare& operator=(const BudgetShare&) = delete;
  ~BudgetShare() { reset(); }

 private:
  void reset() {
    if (budget_) budget_->release(bytes_);
    budget_ = nullptr;
  }
  MemoryBudget* budget_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace auditrelay
