#pragma once
// Time as the delivery core sees it. The driver asks this for the time and sleeps through it, so
// tests can run its batching, backoff, acknowledgement polling and timeouts on a manual clock
// (tests/support/manual_clock.h) without waiting in real time.
#include <chrono>

namespace auditrelay {

class TimeSource {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  virtual ~TimeSource() = default;
  virtual time_point now() const = 0;
  // Sleeps for d (the manual clock advances by d instead). Callers sleep in short steps when
  // they must notice a stop request.
  virtual void sleep_for(duration d) = 0;
  // The process's monotonic clock. Stateless.
  static TimeSource& steady();
};

class SteadyTimeSource final : public TimeSource {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  void sleep_for(duration d) override;
};

}  // namespace auditrelay
