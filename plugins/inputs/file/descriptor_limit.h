#pragma once
// max_open_files: at most that many descriptors are open. The least recently active files give
// up theirs first and are re-opened when they change; rotated files and held copies keep theirs
// (their path may no longer lead to them), and so do files not identified yet.
#include <cstddef>

#include "plugins/inputs/file/tracked_file.h"

namespace auditrelay::file_input {

class DescriptorLimit {
 public:
  DescriptorLimit(TrackedFiles& files, size_t max_open) : files_(files), max_open_(max_open) {}

  size_t open_count() const;
  // Closes up to n of the least recently active identified files; returns how many it closed.
  size_t close_idle(size_t n);
  // Back within the limit after a pass (files re-opened elsewhere may have gone over it).
  void enforce();
  // Room for one more descriptor, `open_now` of them being open: idle ones are closed first.
  // False when there is still no room (the file waits for a later scan); `open_now` follows.
  bool make_room(size_t& open_now);
  // Before a closed file is re-opened for a change: one idle file closed when at the limit.
  void close_one_if_full();

 private:
  TrackedFiles& files_;
  size_t max_open_;
};

}  // namespace auditrelay::file_input
