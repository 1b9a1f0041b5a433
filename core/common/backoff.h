#pragma once
// Exponential backoff with equal jitter, the one retry schedule of the agent (output driver,
// Coder API input): each wait is half fixed and half random, so that many clients that failed
// together do not retry in step, and doubles up to a ceiling.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace auditrelay {

class Backoff {
 public:
  using ms = std::chrono::milliseconds;
  Backoff(ms initial, ms max, uint64_t seed = std::random_device{}())
      : initial_(std::max(initial, ms(1))),
        max_(std::max(max, initial_)),
        next_(initial_),
        rng_(seed) {}

  // The wait before the next attempt. With a server's hint (Retry-After): the hint plus up to a
  // tenth more, never less than the server asked. Otherwise the current step with equal jitter
  // (half fixed, half random), and the step doubles up to max.
  ms next(ms server_hint = ms(0)) {
    if (server_hint.count() > 0) {
      std::uniform_int_distribution<int64_t> extra(0, server_hint.count() / 10);
      return server_hint + ms(extra(rng_));
    }
    ms base = next_;
    next_ = std::min(max_, next_ * 2);
    int64_t half = std::max<int64_t>(1, base.count() / 2);
    std::uniform_int_distribution<int64_t> dist(0, half);
    return ms(base.count() - half + dist(rng_));
  }
  // After a success: the next failure starts from the initial wait again.
  void reset() { next_ = initial_; }
  ms current_step() const { return next_; }

 private:
  ms initial_, max_, next_;
  std::mt19937_64 rng_;
};

}  // namespace auditrelay
