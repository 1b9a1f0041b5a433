#pragma once
// Reads the identified files: one read per file and pass, rotated files first (one rotated
// while the agent was stopped is finished before its successor), truncations handled before
// the next read, held multi-line entries flushed, batches submitted with an acknowledgement
// that saves the position. Positions are saved per identity, only once every output
// acknowledged the batches before them, and always at a line boundary.
//
// Rotation: a renamed or deleted file is read to its end and closed after `rotate_wait` without
// data. A truncated file starts over from 0; when the truncation was copytruncate and the copy
// matches the patterns, the copy is read from where the original was, so the lines written
// between the last read and the truncation are not lost. A copy seen before the truncation is
// held (not read) until then. A file rotated while the agent was stopped is found by its
// fingerprint (or, outside the patterns, by its inode in its directory) and finished first.
#include <memory>
#include <set>
#include <string>

#include "core/event/record.h"
#include "core/plugin/input.h"
#include "plugins/inputs/file/descriptor_limit.h"
#include "plugins/inputs/file/discovery.h"
#include "plugins/inputs/file/file_input_metrics.h"
#include "plugins/inputs/file/file_input_options.h"
#include "plugins/inputs/file/identifier.h"
#include "plugins/inputs/file/tracked_file.h"

namespace auditrelay::file_input {

class Tailer {
 public:
  struct Parts {
    TrackedFiles& files;
    DescriptorLimit& limit;
    Discovery& discovery;
    Identifier& identifier;
    FileInputMetrics& metrics;
  };
  Tailer(const std::string& name, const FileInputOptions& opts, InputHost& host, Parts parts)
      : name_(name), opts_(opts), host_(host), parts_(parts), files_(parts.files) {}

  // Checks files whose fd is closed (max_open_files) and the heads of open ones (a truncation
  // followed by more writes than were read leaves the size above the offset).
  void check_all();
  // One read of each file due (all in a full pass, else those in `dirty` and those with more
  // to give); `dirty` keeps the files that still have data. True when anything was read.
  bool read_pass(bool full, std::set<TrackedFile*>& dirty);
  // Closes rotated files that stayed quiet for rotate_wait, and copies that are gone.
  void close_finished();
  // Open descriptors, and bytes written but not yet read (as of each file's last read).
  void update_open_and_lag();

 private:
  bool read_file(TrackedFile& f);
  bool read_chunk(TrackedFile& f);
  void handle_truncation(TrackedFile& f);
  void flush_held_too_long(TrackedFile& f, RecordSink& sink);
  void count_cut_lines(TrackedFile& f);
  void warn_cut_lines(const TrackedFile& f, uint64_t cut);
  std::unique_ptr<RecordBatch> new_batch(const TrackedFile& f, size_t budget) const;
  bool acquire(size_t bytes);
  void submit(TrackedFile& f, std::unique_ptr<RecordBatch> batch);
  void finish_file(TrackedFile& f);
  void forget(TrackedFile& f);

  const std::string& name_;
  const FileInputOptions& opts_;
  InputHost& host_;
  Parts parts_;
  TrackedFiles& files_;
  // Not zero-filled (make_unique_for_overwrite): a trickle read touches only the pages it
  // fills, not the whole read_buffer (peak RSS, issue 20).
  std::unique_ptr<char[]> buf_;
  Clock::time_point last_cut_warning_{};
  uint64_t cut_unwarned_ = 0;
};

}  // namespace auditrelay::file_input
