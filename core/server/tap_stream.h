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

  // Appends the newline-terminated lines (one event each) that fit, and drops and counts the
  // rest. Never blocks beyond the short lock. Returns how many were dropped (0 after close).
  uint64_t push(std::string_view lines);
  // Waits up to `wait` for lines; swaps them into out (cleared first) and sets dropped to what
  // was dropped since the last take. False once the stream is closed: what it still held is
  // discarded, so that a slow client cannot hold up the agent's stop.
  bool take(std::string& out, uint64_t& dropped, std::chrono::milliseconds wait);
  // Events that never reached push (they could not be encoded for this client).
  void count_dropped(uint64_t events);
  // No more lines will come; why (for the client) when it is not the agent stopping.
  void close(std::string reason = {});
  bool closed() const;
  std::string close_reason() const;

 private:
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::string lines_;
  uint64_t dropped_ = 0;
  bool closed_ = false;
  std::string close_reason_;
};

}  // namespace auditrelay
