#pragma once
// What the file input knows of each file it reads, and of the positions an earlier run saved.
// Discovery adds files, the identifier names them, the tailer reads and closes them, the
// descriptor limit closes and re-opens their descriptors.
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/event/line_reader.h"
#include "core/event/record.h"
#include "core/pipeline/checkpoint_store.h"
#include "core/pipeline/offset_tracker.h"
#include "plugins/inputs/file/file_identity.h"
#include "plugins/inputs/file/file_input_options.h"
#include "plugins/inputs/file/fingerprint.h"

namespace auditrelay::file_input {

using InodeKey = std::pair<dev_t, ino_t>;

struct TrackedFile {
  std::string path;       // where it was found
  std::string real_path;  // the symlink's target (container logs), for change events
  int fd = -1;            // -1 while closed by max_open_files
  InodeKey inode{};
  std::optional<Fingerprint> fp;  // set once identified
  std::string key;                // checkpoint key, set once identified
  uint64_t offset = 0;            // next byte to read
  std::unique_ptr<LineReader> reader;
  std::shared_ptr<OffsetTracker> tracker;
  std::shared_ptr<std::atomic<bool>> retired = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<SourceInfo> source;
  Clock::time_point last_data = Clock::now();
  uint64_t held_at = UINT64_MAX;  // the offset the framer held at the last read, and since when
  Clock::time_point held_since{};
  bool rotated = false;      // the path now names another file, or none
  bool drain_first = false;  // rotated while the agent was stopped: finish before its successor
  Clock::time_point rotated_at{};
  bool held_copy = false;  // a copytruncate snapshot of `copy_of`, read only once that is truncated
  InodeKey copy_of{};
  bool truncated = false;  // detected; handled before the next read
  bool start_at_end = false;
  SettleClock settle;  // a possible copy in progress: its size when last seen, and since when
  bool warned_unreadable = false;
  uint64_t size_seen = 0;  // the size at the last read, for the read lag
  uint64_t truncated_seen = 0;

  TrackedFile() = default;
  TrackedFile(const TrackedFile&) = delete;
  TrackedFile& operator=(const TrackedFile&) = delete;
  ~TrackedFile() { close_fd(); }
  void close_fd();
  // Opens the path again; false unless it still leads to this file's inode.
  bool reopen();
  // Reading (and acknowledging) starts over at `start`.
  void begin_at(uint64_t start);
};

struct SavedPosition {
  std::string key;
  ParsedFileKey id;
  Checkpoint cp;
};

// Every file of one input, by inode and by path.
struct TrackedFiles {
  std::map<InodeKey, std::unique_ptr<TrackedFile>> by_inode;
  std::map<std::string, TrackedFile*> by_path;
  std::map<InodeKey, std::string> present;  // what the last scan found
  std::vector<SavedPosition> saved;         // positions from the last run not yet claimed
  // Rotated files closed in this run that still match a pattern, with their size then.
  std::map<InodeKey, uint64_t> closed_size;
};

// A framer and line reader for the input's format.
std::unique_ptr<LineReader> make_line_reader(const FileInputOptions& opts);

uint64_t size_of(int fd);  // 0 when it cannot be told
std::string dir_of(const std::string& path);

}  // namespace auditrelay::file_input
