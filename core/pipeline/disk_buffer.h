#pragma once
// An output's opt-in disk buffer: a write-ahead log of the encoded events routed to it, so they
// survive a long outage even when the source file is rotated away. A batch is acknowledged to
// its source once its record is written and fsynced here; the output then sends from the log,
// and the read cursor moves only over records it delivered (at least once across restarts).
//
// Layout under <data_dir>/buffer/<output>/: segment files NNNNNNNNNNNNNNNNNNNN.wal holding
// records [magic u32][length u32][crc32 u32][payload], and `cursor` (segment, offset).
// A torn tail is truncated at start; a corrupt record is skipped (resynchronising on the next
// magic) and counted; records are streamed, never loaded whole.
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/common/unique_fd.h"
#include "core/metrics/metrics.h"
#include "core/pipeline/encoded_batch.h"

namespace auditrelay {

class DiskBuffer {
 public:
  enum class WhenFull { Block, DropOldest };
  DiskBuffer(std::string dir, uint64_t max_size, WhenFull when_full, Metrics& metrics,
             const std::string& output);
  ~DiskBuffer();
  DiskBuffer(const DiskBuffer&) = delete;
  DiskBuffer& operator=(const DiskBuffer&) = delete;

  bool open(std::string& error);
  // Appends the events of `batch` routed to output bit `bit` as one record and fsyncs. In block
  // mode waits while the buffer is full (returns false if `stop` becomes true first).
  bool append(const EncodedBatch& batch, uint64_t bit, const std::atomic<bool>& stop,
              Schema schema = Schema::AuditV1);
  // The next unread record as a batch whose ack, when done, marks the record delivered;
  // nullptr when nothing is waiting.
  std::shared_ptr<EncodedBatch> next();
  uint64_t size_on_disk() const;
  // True when every record written has been handed out (nothing left to read right now).
  bool next_empty_hint() const;
  uint64_t pending_records() const;

  static constexpr uint32_t kMagic = 0x4c574152;  // "RAWL"

 private:
  struct Position {
    uint64_t segment = 0, offset = 0;
    bool operator<(const Position& o) const {
      return segment < o.segment || (segment == o.segment && offset < o.offset);
    }
  };
  std::string segment_path(uint64_t n) const;
  void load_cursor();
  bool open_segment_for_write(uint64_t n, std::string& error);
  void recover_tail(uint64_t n);
  uint64_t bytes_on_disk() const;
  // In block mode waits (lock released) while `bytes` more would not fit; in drop-oldest mode
  // drops the oldest segments instead. false when `stop` became true while waiting.
  bool make_room(uint64_t bytes, std::unique_lock<std::mutex>& lock, const std::atomic<bool>& stop);
  void discard_failed_append();
  // Moves read_ past missing and wholly read segments: the size of the segment in which the next
  // record starts, or nullopt when the reader has caught up with the writer.
  std::optional<uint64_t> seek_unread_record();
  // Counts the corrupt record at read_ and moves read_ to the next magic in its segment.
  void skip_corrupt_record(int fd, uint64_t segment_size);
  // The record that ends at read_ as a batch whose ack marks it delivered; nullptr (counted as
  // corrupt) when its payload does not decode.
  std::shared_ptr<EncodedBatch> hand_out(std::string_view payload);
  void delivered(uint64_t ticket);
  void save_cursor();
  void delete_consumed_segments();

  std::string dir_;
  uint64_t max_size_;
  WhenFull when_full_;
  uint64_t segment_limit_;
  mutable std::mutex mu_;
  UniqueFd write_fd_;
  uint64_t write_segment_ = 0, write_offset_ = 0;
  std::map<uint64_t, uint64_t> segment_sizes_;  // segment → bytes
  Position read_;                               // next record to hand out
  Position cursor_;                             // everything before it is delivered
  // Records handed out and not yet delivered, in order: ticket → end position.
  std::map<uint64_t, std::pair<Position, bool>> outstanding_;
  uint64_t next_ticket_ = 0;
  uint64_t records_waiting_ = 0;
  bool cursor_save_failing_ = false;  // its error is logged once, not on every delivery
  Metrics::Counter& corrupt_;
  Metrics::Counter& dropped_bytes_;
  std::atomic<int64_t>& size_gauge_;
};

}  // namespace auditrelay
