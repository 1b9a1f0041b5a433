#include "core/pipeline/disk_buffer.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/pipeline/record_codec.h"

namespace auditrelay {
namespace {

uint32_t crc(std::string_view s) {
  return crc32_of(s);
}

bool write_all_fd(int fd, std::string_view s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

bool read_at(int fd, uint64_t off, size_t n, std::string& out) {
  out.resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(off + done));
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

}  // namespace

DiskBuffer::DiskBuffer(std::string dir, uint64_t max_size, WhenFull when_full, Metrics& metrics,
                       const std::string& output)
    : dir_(std::move(dir)),
      max_size_(max_size),
      when_full_(when_full),
      segment_limit_(std::max<uint64_t>(1 << 20, std::min<uint64_t>(max_size / 8, 64ull << 20))),
      corrupt_(
          metrics.counter("auditrelay_buffer_corrupt_records_total", "output=\"" + output + "\"")),
      dropped_bytes_(
          metrics.counter("auditrelay_buffer_dropped_bytes_total", "output=\"" + output + "\"")),
      size_gauge_(metrics.gauge("auditrelay_buffer_bytes", "output=\"" + output + "\"")) {
  metrics.gauge("auditrelay_buffer_max_bytes", "output=\"" + output + "\"")
      .store(static_cast<int64_t>(max_size), std::memory_order_relaxed);
}

DiskBuffer::~DiskBuffer() {
  std::lock_guard lock(mu_);
  save_cursor();
  if (write_fd_ >= 0) ::close(write_fd_);
}

std::string DiskBuffer::segment_path(uint64_t n) const {
  char name[32];
  snprintf(name, sizeof name, "%020llu.wal", static_cast<unsigned long long>(n));
  return dir_ + "/" + name;
}

bool DiskBuffer::open(std::string& error) {
  std::lock_guard lock(mu_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    error = "cannot create buffer directory " + dir_ + ": " + ec.message();
    return false;
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() == 24 && name.ends_with(".wal"))
      segment_sizes_[std::stoull(name.substr(0, 20))] = entry.file_size();
  }
  // Cursor: "segment offset".
  if (FILE* f = std::fopen((dir_ + "/cursor").c_str(), "r")) {
    unsigned long long s = 0, o = 0;
    if (std::fscanf(f, "%llu %llu", &s, &o) == 2) cursor_ = Position{s, o};
    std::fclose(f);
  }
  if (!segment_sizes_.empty() && cursor_.segment < segment_sizes_.begin()->first)
    cursor_ = Position{segment_sizes_.begin()->first, 0};
  read_ = cursor_;
  uint64_t last = segment_sizes_.empty() ? 0 : segment_sizes_.rbegin()->first;
  if (!segment_sizes_.empty()) recover_tail(last);
  if (!open_segment_for_write(last, error)) return false;
  uint64_t total = 0;
  for (auto& [n, sz] : segment_sizes_) total += sz;
  size_gauge_.store(static_cast<int64_t>(total));
  if (total > 0) spdlog::info("disk buffer {}: {} bytes waiting from a previous run", dir_, total);
  return true;
}

// The last segment may end in a record cut by a crash: truncate it there, unless a valid record
// follows (then the damage is in the middle and the reader skips it).
void DiskBuffer::recover_tail(uint64_t n) {
  std::string path = segment_path(n);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  uint64_t size = segment_sizes_[n], off = 0;
  std::string hdr, payload;
  while (off < size) {
    bool good = off + 12 <= size && read_at(fd, off, 12, hdr);
    uint32_t magic = 0, len = 0, sum = 0;
    if (good) {
      std::memcpy(&magic, hdr.data(), 4);
      std::memcpy(&len, hdr.data() + 4, 4);
      std::memcpy(&sum, hdr.data() + 8, 4);
      good = magic == kMagic && off + 12 + len <= size && read_at(fd, off + 12, len, payload) &&
             crc(payload) == sum;
    }
    if (good) {
      off += 12 + len;
      continue;
    }
    // Is there a valid record later on? Then leave the damage to the reader.
    bool later = false;
    std::string rest;
    if (read_at(fd, off, size - off, rest)) {
      for (size_t p = 1; p + 12 <= rest.size() && !later; ++p) {
        uint32_t m, l, s;
        std::memcpy(&m, rest.data() + p, 4);
        if (m != kMagic) continue;
        std::memcpy(&l, rest.data() + p + 4, 4);
        std::memcpy(&s, rest.data() + p + 8, 4);
        later = p + 12 + l <= rest.size() && crc(std::string_view(rest).substr(p + 12, l)) == s;
      }
    }
    if (!later) {
      spdlog::warn("disk buffer {}: truncating a torn record at the end of {} (offset {})", dir_,
                   path, off);
      if (::ftruncate(fd, static_cast<off_t>(off)) == 0) segment_sizes_[n] = off;
    }
    break;
  }
  ::close(fd);
}

bool DiskBuffer::open_segment_for_write(uint64_t n, std::string& error) {
  if (write_fd_ >= 0) {
    ::fsync(write_fd_);
    ::close(write_fd_);
  }
  write_fd_ = ::open(segment_path(n).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (write_fd_ < 0) {
    error = "cannot open " + segment_path(n) + ": " + std::strerror(errno);
    return false;
  }
  write_segment_ = n;
  write_offset_ = segment_sizes_[n];
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

uint64_t DiskBuffer::size_on_disk() const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (auto& [n, sz] : segment_sizes_) total += sz;
  return total;
}

bool DiskBuffer::next_empty_hint() const {
  std::lock_guard lock(mu_);
  return read_.segment > write_segment_ ||
         (read_.segment == write_segment_ && read_.offset >= write_offset_);
}

uint64_t DiskBuffer::pending_records() const {
  std::lock_guard lock(mu_);
  return records_waiting_;
}

bool DiskBuffer::append(const EncodedBatch& b, uint64_t bit, const std::atomic<bool>& stop,
                        Schema schema) {
  PayloadWriter writer(b.source.get(), b.json.size() + b.events.size() * 64);
  for (const auto& e : b.events)
    if (e.routes & bit) writer.add(e.meta, b, b.event_json(e, schema));
  if (writer.count() == 0) return true;
  std::string payload = writer.finish();
  std::string record;
  put_u32(record, kMagic);
  put_u32(record, static_cast<uint32_t>(payload.size()));
  put_u32(record, crc(payload));
  record += payload;

  std::unique_lock lock(mu_);
  while (true) {
    uint64_t total = 0;
    for (auto& [n, sz] : segment_sizes_) total += sz;
    if (total + record.size() <= max_size_ || segment_sizes_.size() <= 1) break;
    if (when_full_ == WhenFull::DropOldest) {
      auto oldest = segment_sizes_.begin();
      if (oldest->first == write_segment_) break;
      spdlog::warn("disk buffer {} full: dropping its oldest segment ({} bytes)", dir_,
                   oldest->second);
      dropped_bytes_ += oldest->second;
      std::remove(segment_path(oldest->first).c_str());
      if (read_.segment <= oldest->first) read_ = Position{oldest->first + 1, 0};
      if (cursor_.segment <= oldest->first) cursor_ = Position{oldest->first + 1, 0};
      segment_sizes_.erase(oldest);
      continue;
    }
    lock.unlock();
    if (stop.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    lock.lock();
  }
  if (write_offset_ + record.size() > segment_limit_ && write_offset_ > 0) {
    std::string err;
    if (!open_segment_for_write(write_segment_ + 1, err)) {
      spdlog::error("disk buffer: {}", err);
      return false;
    }
  }
  if (!write_all_fd(write_fd_, record) || ::fdatasync(write_fd_) != 0) {
    spdlog::error("disk buffer {}: write failed: {}", dir_, std::strerror(errno));
    return false;
  }
  write_offset_ += record.size();
  segment_sizes_[write_segment_] = write_offset_;
  ++records_waiting_;
  size_gauge_.fetch_add(static_cast<int64_t>(record.size()));
  return true;
}

std::shared_ptr<EncodedBatch> DiskBuffer::next() {
  std::lock_guard lock(mu_);
  std::string hdr, payload;
  while (true) {
    auto it = segment_sizes_.find(read_.segment);
    if (it == segment_sizes_.end()) {
      auto after = segment_sizes_.upper_bound(read_.segment);
      if (after == segment_sizes_.end()) return nullptr;
      read_ = Position{after->first, 0};
      continue;
    }
    uint64_t size = it->second;
    if (read_.offset >= size) {
      if (read_.segment >= write_segment_) return nullptr;  // caught up with the writer
      read_ = Position{read_.segment + 1, 0};
      continue;
    }
    int fd = ::open(segment_path(read_.segment).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      read_ = Position{read_.segment + 1, 0};
      continue;
    }
    uint32_t magic = 0, len = 0, sum = 0;
    bool good = read_.offset + 12 <= size && read_at(fd, read_.offset, 12, hdr);
    if (good) {
      std::memcpy(&magic, hdr.data(), 4);
      std::memcpy(&len, hdr.data() + 4, 4);
      std::memcpy(&sum, hdr.data() + 8, 4);
      good = magic == kMagic && read_.offset + 12 + len <= size &&
             read_at(fd, read_.offset + 12, len, payload) && crc(payload) == sum;
    }
    if (!good) {
      // Skip to the next magic in this segment.
      ++corrupt_;
      spdlog::warn("disk buffer {}: corrupt record at {}:{}; skipping it", dir_, read_.segment,
                   read_.offset);
      std::string rest;
      uint64_t next = size;
      if (read_at(fd, read_.offset + 1, size - read_.offset - 1, rest)) {
        for (size_t p = 0; p + 4 <= rest.size(); ++p) {
          uint32_t m;
          std::memcpy(&m, rest.data() + p, 4);
          if (m == kMagic) {
            next = read_.offset + 1 + p;
            break;
          }
        }
      }
      ::close(fd);
      read_.offset = next;
      continue;
    }
    ::close(fd);
    Position end{read_.segment, read_.offset + 12 + len};
    read_ = end;
    auto b = decode_payload(payload);
    if (!b) {
      ++corrupt_;
      continue;
    }
    uint64_t ticket = next_ticket_++;
    outstanding_[ticket] = {end, false};
    b->ack = std::make_shared<AckToken>([this, ticket] { delivered(ticket); });
    return b;
  }
}

void DiskBuffer::delivered(uint64_t ticket) {
  std::lock_guard lock(mu_);
  auto it = outstanding_.find(ticket);
  if (it == outstanding_.end()) return;
  it->second.second = true;
  if (records_waiting_ > 0) --records_waiting_;
  bool moved = false;
  while (!outstanding_.empty() && outstanding_.begin()->second.second) {
    cursor_ = outstanding_.begin()->second.first;
    outstanding_.erase(outstanding_.begin());
    moved = true;
  }
  if (moved) {
    save_cursor();
    delete_consumed_segments();
  }
}

void DiskBuffer::save_cursor() {
  std::string tmp = dir_ + "/cursor.tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return;
  std::fprintf(f, "%llu %llu\n", static_cast<unsigned long long>(cursor_.segment),
               static_cast<unsigned long long>(cursor_.offset));
  std::fflush(f);
  ::fsync(fileno(f));
  std::fclose(f);
  std::rename(tmp.c_str(), (dir_ + "/cursor").c_str());
}

void DiskBuffer::delete_consumed_segments() {
  while (!segment_sizes_.empty()) {
    auto oldest = segment_sizes_.begin();
    bool consumed = oldest->first < cursor_.segment ||
                    (oldest->first == cursor_.segment && cursor_.offset >= oldest->second &&
                     oldest->first != write_segment_);
    if (!consumed) break;
    size_gauge_.fetch_sub(static_cast<int64_t>(oldest->second));
    std::remove(segment_path(oldest->first).c_str());
    segment_sizes_.erase(oldest);
  }
}

}  // namespace auditrelay
