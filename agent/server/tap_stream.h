#pragma once
// One `auditrelay tap` client's queue of event lines (GET /tap). Processors push whole lines;
// the server's connection thread takes them. It is bounded: what does not fit is dropped and
// counted for that client, so a slow or stalled client never holds the pipeline back.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace auditrelay {

class TapStream {
 public:
  // About 2,000 events of a few hundred bytes: enough to ride out a terminal's hiccup.
  static constexpr size_t kDefaultMaxBytes = 1 << 20;
  explicit TapStream(size_t max_bytes = kDefaultMaxBytes) : max_bytes_(max_bytes) {}

  // Appends `events` newline-terminated lines, or drops them all when they do not fit. Never
  // blocks beyond the short lock. Returns false when they were dropped (not after close).
  bool push(std::string_view lines, uint64_t events);
  // Waits up to `wait` for lines; swaps them into out (cleared first) and sets dropped to what
  // was dropped since the last take. False once the stream is closed and drained.
  bool take(std::string& out, uint64_t& dropped, std::chrono::milliseconds wait);
  // No more lines will come (agent stopping): take returns what is left, then false.
  void close();
  bool closed() const;

 private:
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::string lines_;
  uint64_t dropped_ = 0;
  bool closed_ = false;
};

}  // namespace auditrelay
