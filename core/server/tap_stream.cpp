#include "core/server/tap_stream.h"

#include <algorithm>

namespace auditrelay {

uint64_t TapStream::push(std::string_view lines) {
  uint64_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    if (closed_) return 0;  // the client is gone: nothing to report to it
    size_t room = max_bytes_ > lines_.size() ? max_bytes_ - lines_.size() : 0;
    size_t keep = lines.size();
    if (keep > room) {
      // Whole lines only: up to the last newline that fits.
      size_t nl = room ? lines.rfind('\n', room - 1) : std::string_view::npos;
      keep = nl == std::string_view::npos ? 0 : nl + 1;
      dropped = static_cast<uint64_t>(
          std::count(lines.begin() + static_cast<ptrdiff_t>(keep), lines.end(), '\n'));
      dropped_ += dropped;
    }
    lines_.append(lines.substr(0, keep));
  }
  ready_.notify_one();
  return dropped;
}

bool TapStream::take(std::string& out, uint64_t& dropped, std::chrono::milliseconds wait) {
  out.clear();
  dropped = 0;
  std::unique_lock lock(mu_);
  ready_.wait_for(lock, wait, [&] { return !lines_.empty() || dropped_ || closed_; });
  if (closed_) return false;
  out.swap(lines_);
  dropped = dropped_;
  dropped_ = 0;
  return true;
}

void TapStream::count_dropped(uint64_t events) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    dropped_ += events;
  }
  ready_.notify_one();
}

void TapStream::close(std::string reason) {
  {
    std::lock_guard lock(mu_);
    if (!closed_) close_reason_ = std::move(reason);
    closed_ = true;
  }
  ready_.notify_all();
}

bool TapStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

std::string TapStream::close_reason() const {
  std::lock_guard lock(mu_);
  return close_reason_;
}

}  // namespace auditrelay
