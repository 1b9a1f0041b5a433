#pragma once
// A clock for deterministic tests of the delivery core: time moves only when a component sleeps
// on it (each sleep advances it by the time asked for), so backoffs, acknowledgement timeouts
// and batch ages pass at once, in the order the code under test asks for them.
#include <atomic>
#include <thread>

#include "core/common/time_source.h"

namespace auditrelay::test {

class ManualClock final : public TimeSource {
 public:
  time_point now() const override { return time_point(duration(ticks_.load())); }
  void sleep_for(duration d) override {
    ticks_.fetch_add(std::max<duration::rep>(d.count(), 1));
    std::this_thread::yield();
  }
  void advance(duration d) { ticks_.fetch_add(d.count()); }

 private:
  // Starts well after the epoch so that "now minus a delay" never goes below zero.
  std::atomic<duration::rep> ticks_{
      std::chrono::duration_cast<duration>(std::chrono::hours(1)).count()};
};

}  // namespace auditrelay::test
