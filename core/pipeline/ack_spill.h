#pragma once
// Where the events of batches awaiting acknowledgement wait (Splunk's indexer ack takes
// seconds): an append-only journal under <data_dir>/ack_spill/<output>/, so that a pending
// batch holds neither memory nor pipeline budget, and sending goes on at full speed while
// thousands of batches wait. Their completion shares still hold the checkpoint. Nothing here is
// fsynced or kept across restarts: if the agent stops, the source reads the unacknowledged
// events again. A batch is read back only to be sent again after `ack_timeout`.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics/metrics.h"
#include "core/pipeline/encoded_batch.h"

namespace auditrelay {

struct OutEvent;
struct OutBatch;

struct SpillRef {
  uint64_t segment = 0, offset = 0;
  uint32_t length = 0;
};

class AckSpill {
 public:
  AckSpill(std::string dir, Metrics& metrics, const std::string& output);
  ~AckSpill();
  AckSpill(const AckSpill&) = delete;
  AckSpill& operator=(const AckSpill&) = delete;

  // Creates the directory and removes what a previous run left.
  bool open(std::string& error);
  // Writes the batch's events; nullopt when the disk refuses (the caller keeps them in memory).
  std::optional<SpillRef> put(const OutBatch& batch);
  // Reads them back, in order: `holds` receives the batches the events point into.
  bool get(const SpillRef& ref, std::vector<std::shared_ptr<const EncodedBatch>>& holds,
           std::vector<OutEvent>& events);
  // The events are no longer needed; a segment is deleted once none of its records is.
  void drop(const SpillRef& ref);

 private:
  std::string segment_path(uint64_t n) const;
  bool roll(uint64_t n);

  std::string dir_;
  std::mutex mu_;
  int write_fd_ = -1;
  uint64_t write_segment_ = 0, write_offset_ = 0;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> segments_;  // n → (live records, bytes)
  int64_t bytes_ = 0;  // this spill's share of the gauge (a reload may run two of one name)
  std::atomic<int64_t>& bytes_gauge_;
};

}  // namespace auditrelay
