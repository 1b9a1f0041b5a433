#include "agent/server/tap_stream.h"

namespace auditrelay {

bool TapStream::push(std::string_view lines, uint64_t events) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return true;  // the client is gone: nothing to report to it
    if (lines_.size() + lines.size() > max_bytes_) {
      dropped_ += events;
      return false;
    }
    lines_.append(lines);
  }
  ready_.notify_one();
  return true;
}

bool TapStream::take(std::string& out, uint64_t& dropped, std::chrono::milliseconds wait) {
  out.clear();
  std::unique_lock lock(mu_);
  ready_.wait_for(lock, wait, [&] { return !lines_.empty() || dropped_ || closed_; });
  out.swap(lines_);
  dropped = dropped_;
  dropped_ = 0;
  return !(closed_ && out.empty() && dropped == 0);
}

void TapStream::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool TapStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

}  // namespace auditrelay
