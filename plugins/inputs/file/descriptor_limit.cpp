#include "plugins/inputs/file/descriptor_limit.h"

#include <algorithm>
#include <vector>

namespace auditrelay::file_input {

size_t DescriptorLimit::open_count() const {
  size_t n = 0;
  for (const auto& [ino, f] : files_.by_inode) n += f->fd >= 0;
  return n;
}

size_t DescriptorLimit::close_idle(size_t n) {
  std::vector<TrackedFile*> candidates;
  for (auto& [ino, f] : files_.by_inode)
    if (f->fd >= 0 && !f->rotated && !f->held_copy && f->fp) candidates.push_back(f.get());
  n = std::min(n, candidates.size());
  std::partial_sort(
      candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n), candidates.end(),
      [](const TrackedFile* a, const TrackedFile* b) { return a->last_data < b->last_data; });
  for (size_t i = 0; i < n; ++i) candidates[i]->close_fd();
  return n;
}

void DescriptorLimit::enforce() {
  size_t open = open_count();
  if (open > max_open_) close_idle(open - max_open_);
}

bool DescriptorLimit::make_room(size_t& open_now) {
  if (open_now < max_open_) return true;
  open_now -= close_idle(open_now + 1 - max_open_);
  return open_now < max_open_;
}

void DescriptorLimit::close_one_if_full() {
  if (open_count() >= max_open_) close_idle(1);
}

}  // namespace auditrelay::file_input
