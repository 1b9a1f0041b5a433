#pragma once
// Saved read positions, one per source identity, under data_dir. Written atomically
// (temp file, fsync, rename, fsync dir); a torn or corrupt file is logged and ignored.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/common/unique_fd.h"

namespace auditrelay {

struct Checkpoint {
  std::string path;     // last known path (informational; identity is the key)
  uint64_t offset = 0;  // everything before it is acknowledged by every output
  int64_t updated = 0;  // unix seconds
  // Where a source that is not a byte stream stands (the journal's cursor): the entry it names
  // and every one before it are acknowledged. Empty for files.
  std::string cursor;
};

class CheckpointStore {
 public:
  // dir empty: in memory only (normalize, tests).
  explicit CheckpointStore(std::string dir = {});

  // Loads the saved file; returns false (and logs) when it was unreadable or corrupt.
  bool load();
  bool save();  // no-op when nothing changed since the last save

  std::optional<Checkpoint> get(const std::string& key) const;
  void set(const std::string& key, const Checkpoint& cp);
  void erase(const std::string& key);
  std::map<std::string, Checkpoint> all() const;
  std::string file_path() const;

 private:
  std::string dir_;
  // Held through a whole save: the checkpointer thread and an input (journald saves after a
  // read) may save at once, and two writers of the one temp file could leave a mix of both
  // (which the CRC then rejects: every position lost), or an older snapshot renamed last.
  std::mutex save_mu_;
  mutable std::mutex mu_;  // entries_ and dirty_
  std::map<std::string, Checkpoint> entries_;
  bool dirty_ = false;
};

// An exclusive lock on data_dir so two agents never share one.
class DataDirLock {
 public:
  DataDirLock() = default;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  // Creates dir if needed and locks it; error holds the reason on failure.
  bool lock(const std::string& dir, std::string& error);

 private:
  UniqueFd fd_;  // held open: the lock lasts as long as the descriptor
};

}  // namespace auditrelay
