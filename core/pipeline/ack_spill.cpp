#include "core/pipeline/ack_spill.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/pipeline/record_codec.h"
#include "core/plugin/output.h"

namespace auditrelay {
namespace {

// Segments roll at this size, so that space goes back to the disk as acknowledgements arrive.
constexpr uint64_t kSegmentBytes = 64ull << 20;


// A record: [u32 runs] then per run [u32 length][payload]; a run is the consecutive events of
// one pipeline batch (one source).
std::string encode(const OutBatch& batch) {
  std::string rec;
  rec.reserve(batch.bytes + batch.events.size() * 64 + 64);
  put_u32(rec, 0);
  uint32_t runs = 0;
  for (size_t i = 0; i < batch.events.size();) {
    const EncodedBatch* from = batch.events[i].batch;
    PayloadWriter w(from->source.get());
    for (; i < batch.events.size() && batch.events[i].batch == from; ++i)
      w.add(*batch.events[i].meta, *from, batch.events[i].json);
    std::string payload = w.finish();
    put_u32(rec, static_cast<uint32_t>(payload.size()));
    rec += payload;
    ++runs;
  }
  std::memcpy(rec.data(), &runs, 4);
  return rec;
}

}  // namespace

AckSpill::AckSpill(std::string dir, Metrics& metrics, const std::string& output)
    : dir_(std::move(dir)),
      bytes_gauge_(
          metrics.gauge("auditrelay_output_ack_spill_bytes", "output=\"" + output + "\"")) {}

AckSpill::~AckSpill() {
  if (write_fd_ >= 0) ::close(write_fd_);
  std::error_code ec;
  for (const auto& [n, live] : segments_) std::filesystem::remove(segment_path(n), ec);
  std::filesystem::remove(dir_, ec);  // only if empty
  bytes_gauge_.fetch_sub(bytes_);
}

std::string AckSpill::segment_path(uint64_t n) const {
  return dir_ + "/" + std::to_string(n) + ".spill";
}

bool AckSpill::open(std::string& error) {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);  // a previous run's: its events are read again anyway
  ec.clear();
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    error = "cannot create " + dir_ + ": " + ec.message();
    return false;
  }
  std::lock_guard lock(mu_);
  if (!roll(0)) {
    error = "cannot open " + segment_path(0) + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

// With mu_ held.
bool AckSpill::roll(uint64_t n) {
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = ::open(segment_path(n).c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  write_segment_ = n;
  write_offset_ = 0;
  segments_[n];
  return write_fd_ >= 0;
}

std::optional<SpillRef> AckSpill::put(const OutBatch& batch) {
  std::string rec = encode(batch);
  std::lock_guard lock(mu_);
  if (write_offset_ > 0 && write_offset_ + rec.size() > kSegmentBytes) {
    uint64_t old = write_segment_;
    if (!roll(write_segment_ + 1)) return std::nullopt;
    if (segments_[old].first == 0) {  // nothing in the old one waits any more
      ::unlink(segment_path(old).c_str());
      segments_.erase(old);
    }
  }
  if (write_fd_ < 0) return std::nullopt;
  for (size_t done = 0; done < rec.size();) {
    ssize_t w = ::pwrite(write_fd_, rec.data() + done, rec.size() - done,
                         static_cast<off_t>(write_offset_ + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      spdlog::warn("acknowledgement spill {}: write failed ({}); keeping the batch in memory", dir_,
                   std::strerror(errno));
      return std::nullopt;
    }
    done += static_cast<size_t>(w);
  }
  SpillRef ref{write_segment_, write_offset_, static_cast<uint32_t>(rec.size())};
  write_offset_ += rec.size();
  auto& [live, bytes] = segments_[write_segment_];
  ++live;
  bytes += rec.size();
  bytes_ += static_cast<int64_t>(rec.size());
  bytes_gauge_.fetch_add(static_cast<int64_t>(rec.size()));
  return ref;
}

bool AckSpill::get(const SpillRef& ref, std::vector<std::shared_ptr<const EncodedBatch>>& holds,
                   std::vector<OutEvent>& events) {
  std::string rec(ref.length, '\0');
  int fd = ::open(segment_path(ref.segment).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < rec.size()) {
    ssize_t r =
        ::pread(fd, rec.data() + done, rec.size() - done, static_cast<off_t>(ref.offset + done));
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  if (done < rec.size() || rec.size() < 4) return false;
  uint32_t runs;
  std::memcpy(&runs, rec.data(), 4);
  size_t p = 4;
  for (uint32_t k = 0; k < runs; ++k) {
    uint32_t len;
    if (p + 4 > rec.size()) return false;
    std::memcpy(&len, rec.data() + p, 4);
    p += 4;
    if (p + len > rec.size()) return false;
    auto b = decode_payload(std::string_view(rec).substr(p, len));
    if (!b) return false;
    p += len;
    for (const auto& e : b->events) events.push_back(OutEvent{b->event_json(e), &e.meta, b.get()});
    holds.push_back(std::move(b));
  }
  return p == rec.size();  // exactly one record: anything else is not what was written
}

void AckSpill::drop(const SpillRef& ref) {
  std::lock_guard lock(mu_);
  auto it = segments_.find(ref.segment);
  if (it == segments_.end()) return;
  auto& [live, bytes] = it->second;
  if (live > 0) --live;
  bytes_ -= static_cast<int64_t>(ref.length);
  bytes_gauge_.fetch_sub(static_cast<int64_t>(ref.length));
  if (live > 0) return;
  if (ref.segment != write_segment_) {
    ::unlink(segment_path(ref.segment).c_str());
    segments_.erase(it);
  } else if (::ftruncate(write_fd_, 0) == 0) {  // caught up: start the segment over
    write_offset_ = 0;
    bytes = 0;
  }
}

}  // namespace auditrelay
