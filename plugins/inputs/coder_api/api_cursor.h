#pragma once
// The coder_api input's position per stream, saved under data_dir/coder_api/<input>.json once
// every output acknowledged the events before it:
//   watermark   the newest event time fully acknowledged (audit `time`, connection `connect_time`)
//   recent ids  the ids acknowledged lately (bounded), so overlapping pages and re-read windows
//               send nothing twice
//   open        connection rows delivered as a connect whose disconnect is still to come
#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <unordered_set>

#include "core/common/time.h"

namespace auditrelay {

class RecentIds {
 public:
  explicit RecentIds(size_t capacity = 20000) : capacity_(capacity) {}
  bool contains(const std::string& id) const { return set_.count(id) > 0; }
  void add(const std::string& id) {
    if (!set_.insert(id).second) return;
    order_.push_back(id);
    while (order_.size() > capacity_) {
      set_.erase(order_.front());
      order_.pop_front();
    }
  }
  const std::deque<std::string>& in_order() const { return order_; }
  void set_capacity(size_t c) { capacity_ = c; }

 private:
  size_t capacity_;
  std::deque<std::string> order_;
  std::unordered_set<std::string> set_;
};

struct StreamCursor {
  Timestamp watermark;                       // invalid: never polled
  RecentIds recent;
  std::map<std::string, Timestamp> open;     // connection id → connect_time
};

class ApiCursorFile {
 public:
  explicit ApiCursorFile(std::string path) : path_(std::move(path)) {}
  // Loads saved streams into `streams` (keyed "audit", "connection"); a missing file is a first
  // start; a corrupt one is logged and ignored (the stream starts over from backfill_from).
  void load(std::map<std::string, StreamCursor>& streams) const;
  bool save(const std::map<std::string, StreamCursor>& streams) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace auditrelay
