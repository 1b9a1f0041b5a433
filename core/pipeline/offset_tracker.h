#pragma once
// Per source: the position below which every batch is acknowledged, even when acknowledgements
// arrive out of order. Batches are registered in source order with the position after them. A
// position is a byte offset for files and a journal cursor for the journal.
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace auditrelay {

template <class Position>
class PositionTracker {
 public:
  explicit PositionTracker(Position start = {}) : committed_(std::move(start)) {}

  // Registers the next batch, which ends at `end`; returns its ticket.
  uint64_t add(Position end) {
    std::lock_guard lock(mu_);
    pending_.push_back(Entry{next_ticket_, std::move(end), false});
    return next_ticket_++;
  }

  // Marks a batch acknowledged; returns true when the committed position moved.
  bool ack(uint64_t ticket) {
    return ack(ticket, [](const Position&) {});
  }
  // The same, and hands the new committed position to `saved` while still holding the lock, so
  // positions reach a checkpoint store in the order they were committed even when outputs
  // acknowledge on several threads at once (otherwise an older one could be stored last).
  template <class Saver>
  bool ack(uint64_t ticket, Saver&& saved) {
    std::lock_guard lock(mu_);
    if (pending_.empty() || ticket < pending_.front().ticket) return false;
    size_t idx = static_cast<size_t>(ticket - pending_.front().ticket);
    if (idx >= pending_.size()) return false;
    pending_[idx].acked = true;
    bool moved = false;
    while (!pending_.empty() && pending_.front().acked) {
      committed_ = std::move(pending_.front().end);
      pending_.pop_front();
      moved = true;
    }
    if (moved) saved(committed_);
    return moved;
  }

  Position committed() const {
    std::lock_guard lock(mu_);
    return committed_;
  }
  size_t outstanding() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }
  // After a truncation the source starts over; nothing older can move the position any more.
  void reset(const Position& start) {
    std::lock_guard lock(mu_);
    committed_ = start;
    for (auto& e : pending_) e.end = start;
  }

 private:
  struct Entry {
    uint64_t ticket;
    Position end;
    bool acked;
  };
  mutable std::mutex mu_;
  std::deque<Entry> pending_;
  uint64_t next_ticket_ = 0;
  Position committed_;
};

using OffsetTracker = PositionTracker<uint64_t>;
using CursorTracker = PositionTracker<std::string>;

}  // namespace auditrelay
