#include "core/pipeline/disk_buffer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/common/atomic_file.h"
#include "core/common/fd_io.h"
#include "core/pipeline/record_codec.h"

namespace auditrelay {
namespace {

// A record is [magic u32][length u32][crc32 u32][payload], in the host's byte order.
constexpr uint64_t kHeaderBytes = 12;

struct RecordHeader {
  uint32_t magic = 0, length = 0, crc = 0;
};

RecordHeader decode_header(std::string_view bytes) {
  RecordHeader h;
  std::memcpy(&h.magic, bytes.data(), 4);
  std::memcpy(&h.length, bytes.data() + 4, 4);
  std::memcpy(&h.crc, bytes.data() + 8, 4);
  return h;
}

std::string frame_record(std::string_view payload) {
  std::string record;
  record.reserve(kHeaderBytes + payload.size());
  put_u32(record, DiskBuffer::kMagic);
  put_u32(record, static_cast<uint32_t>(payload.size()));
  put_u32(record, crc32_of(payload));
  record += payload;
  return record;
}

// The record at `off` in a segment of `size` bytes: its length (header included), with its
// payload in `payload`, when the header is whole, the magic right, the payload inside the segment
// and its CRC matching; nullopt when the record is torn or corrupt.
std::optional<uint64_t> read_record(int fd, uint64_t off, uint64_t size, std::string& payload) {
  std::string header;
  if (off + kHeaderBytes > size || !pread_exact(fd, off, kHeaderBytes, header)) return std::nullopt;
  RecordHeader h = decode_header(header);
  if (h.magic != DiskBuffer::kMagic || off + kHeaderBytes + h.length > size) return std::nullopt;
  if (!pread_exact(fd, off + kHeaderBytes, h.length, payload) || crc32_of(payload) != h.crc)
    return std::nullopt;
  return kHeaderBytes + h.length;
}

// Where the first magic at or after `from` in `bytes` starts; npos when none does.
size_t find_magic(std::string_view bytes, size_t from) {
  for (size_t p = from; p + 4 <= bytes.size(); ++p) {
    uint32_t m;
    std::memcpy(&m, bytes.data() + p, 4);
    if (m == DiskBuffer::kMagic) return p;
  }
  return std::string_view::npos;
}

// Where a record may start again after a corrupt one at `off`: the next magic in the segment, or
// its end when there is none.
uint64_t next_magic_after(int fd, uint64_t off, uint64_t size) {
  std::string rest;
  if (!pread_exact(fd, off + 1, size - off - 1, rest)) return size;
  size_t p = find_magic(rest, 0);
  return p == std::string_view::npos ? size : off + 1 + p;
}

// Whether a whole, valid record starts somewhere after `off`.
bool valid_record_after(int fd, uint64_t off, uint64_t size) {
  std::string rest, payload;
  if (!pread_exact(fd, off + 1, size - off - 1, rest)) return false;
  for (size_t p = find_magic(rest, 0); p != std::string_view::npos; p = find_magic(rest, p + 1))
    if (read_record(fd, off + 1 + p, size, payload)) return true;
  return false;
}

// How far from its start a segment of `size` bytes holds whole, valid records.
uint64_t valid_prefix_length(int fd, uint64_t size) {
  std::string payload;
  uint64_t off = 0;
  while (off < size) {
    std::optional<uint64_t> length = read_record(fd, off, size, payload);
    if (!length) break;
    off += *length;
  }
  return off;
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
  // Never opened: no cursor was read, so none is written over the one on disk.
  if (write_fd_) save_cursor();
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
  load_cursor();
  read_ = cursor_;
  uint64_t last = segment_sizes_.empty() ? 0 : segment_sizes_.rbegin()->first;
  if (!segment_sizes_.empty()) recover_tail(last);
  if (!open_segment_for_write(last, error)) return false;
  uint64_t total = bytes_on_disk();
  size_gauge_.store(static_cast<int64_t>(total));
  if (total > 0) spdlog::info("disk buffer {}: {} bytes waiting from a previous run", dir_, total);
  return true;
}

void DiskBuffer::load_cursor() {
  // Cursor: "segment offset".
  if (FILE* f = std::fopen((dir_ + "/cursor").c_str(), "r")) {
    unsigned long long s = 0, o = 0;
    if (std::fscanf(f, "%llu %llu", &s, &o) == 2) cursor_ = Position{s, o};
    std::fclose(f);
  }
  if (!segment_sizes_.empty() && cursor_.segment < segment_sizes_.begin()->first)
    cursor_ = Position{segment_sizes_.begin()->first, 0};
}

// The last segment may end in a record cut by a crash: truncate it there, unless a valid record
// follows (then the damage is in the middle and the reader skips it).
void DiskBuffer::recover_tail(uint64_t n) {
  std::string path = segment_path(n);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) return;
  uint64_t size = segment_sizes_[n];
  uint64_t off = valid_prefix_length(fd.get(), size);
  // Is there a valid record later on? Then leave the damage to the reader.
  if (off == size || valid_record_after(fd.get(), off, size)) return;
  spdlog::warn("disk buffer {}: truncating a torn record at the end of {} (offset {})", dir_, path,
               off);
  if (::ftruncate(fd.get(), static_cast<off_t>(off)) == 0) segment_sizes_[n] = off;
}

bool DiskBuffer::open_segment_for_write(uint64_t n, std::string& error) {
  if (write_fd_) ::fsync(write_fd_.get());
  write_fd_.reset(::open(segment_path(n).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!write_fd_) {
    error = "cannot open " + segment_path(n) + ": " + std::strerror(errno);
    return false;
  }
  write_segment_ = n;
  write_offset_ = segment_sizes_[n];
  // The new segment's name must be durable too, or a crash could lose records acknowledged in it.
  std::string sync_error;
  if (!sync_directory(dir_, sync_error))
    spdlog::warn("disk buffer {}: cannot sync the directory: {}", dir_, sync_error);
  return true;
}

uint64_t DiskBuffer::bytes_on_disk() const {
  uint64_t total = 0;
  for (const auto& [n, sz] : segment_sizes_) total += sz;
  return total;
}

uint64_t DiskBuffer::size_on_disk() const {
  std::lock_guard lock(mu_);
  return bytes_on_disk();
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
  std::string record = frame_record(writer.finish());

  std::unique_lock lock(mu_);
  if (!make_room(record.size(), lock, stop)) return false;
  if (write_offset_ + record.size() > segment_limit_ && write_offset_ > 0) {
    std::string err;
    if (!open_segment_for_write(write_segment_ + 1, err)) {
      spdlog::error("disk buffer: {}", err);
      return false;
    }
  }
  if (!write_all(write_fd_.get(), record) || ::fdatasync(write_fd_.get()) != 0) {
    spdlog::error("disk buffer {}: write failed: {}", dir_, std::strerror(errno));
    discard_failed_append();
    return false;
  }
  write_offset_ += record.size();
  segment_sizes_[write_segment_] = write_offset_;
  ++records_waiting_;
  size_gauge_.fetch_add(static_cast<int64_t>(record.size()));
  return true;
}

// A failed append (a full disk, a failed fdatasync) may leave part of the record in the
// segment. Left there, the retried append would land after it (O_APPEND) while the reader looks
// for a record at write_offset_, finds garbage and skips everything after it in the segment, and
// those records were acknowledged to their source. Cut the segment back; if even that fails,
// continue in a new segment, whose size the reader knows.
void DiskBuffer::discard_failed_append() {
  if (::ftruncate(write_fd_.get(), static_cast<off_t>(write_offset_)) == 0) return;
  spdlog::error("disk buffer {}: cannot cut a failed write off segment {}: {}", dir_,
                write_segment_, std::strerror(errno));
  std::string err;
  if (!open_segment_for_write(write_segment_ + 1, err)) spdlog::error("disk buffer: {}", err);
}

bool DiskBuffer::make_room(uint64_t bytes, std::unique_lock<std::mutex>& lock,
                           const std::atomic<bool>& stop) {
  while (bytes_on_disk() + bytes > max_size_ && segment_sizes_.size() > 1) {
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
  return true;
}

std::shared_ptr<EncodedBatch> DiskBuffer::next() {
  std::lock_guard lock(mu_);
  std::string payload;
  while (std::optional<uint64_t> size = seek_unread_record()) {
    UniqueFd fd(::open(segment_path(read_.segment).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      read_ = Position{read_.segment + 1, 0};
      continue;
    }
    std::optional<uint64_t> length = read_record(fd.get(), read_.offset, *size, payload);
    if (!length) {
      skip_corrupt_record(fd.get(), *size);
      continue;
    }
    read_.offset += *length;
    if (auto batch = hand_out(payload)) return batch;
  }
  return nullptr;
}

std::optional<uint64_t> DiskBuffer::seek_unread_record() {
  while (true) {
    auto it = segment_sizes_.find(read_.segment);
    if (it == segment_sizes_.end()) {
      auto after = segment_sizes_.upper_bound(read_.segment);
      if (after == segment_sizes_.end()) return std::nullopt;
      read_ = Position{after->first, 0};
      continue;
    }
    if (read_.offset < it->second) return it->second;
    if (read_.segment >= write_segment_) return std::nullopt;  // caught up with the writer
    read_ = Position{read_.segment + 1, 0};
  }
}

void DiskBuffer::skip_corrupt_record(int fd, uint64_t segment_size) {
  ++corrupt_;
  spdlog::warn("disk buffer {}: corrupt record at {}:{}; skipping it", dir_, read_.segment,
               read_.offset);
  // Skip to the next magic in this segment.
  read_.offset = next_magic_after(fd, read_.offset, segment_size);
}

std::shared_ptr<EncodedBatch> DiskBuffer::hand_out(std::string_view payload) {
  auto b = decode_payload(payload);
  if (!b) {
    ++corrupt_;
    return nullptr;
  }
  uint64_t ticket = next_ticket_++;
  outstanding_[ticket] = {read_, false};
  b->ack = std::make_shared<AckToken>([this, ticket] { delivered(ticket); });
  return b;
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
  std::string text = std::to_string(cursor_.segment) + " " + std::to_string(cursor_.offset) + "\n";
  std::string error;
  bool saved = write_file_atomically(dir_ + "/cursor", text, error);
  if (!saved && !cursor_save_failing_)
    spdlog::error(
        "disk buffer {}: cannot save its read cursor ({}); records delivered since the last save "
        "will be sent again after a restart",
        dir_, error);
  if (saved && cursor_save_failing_)
    spdlog::info("disk buffer {}: its read cursor is saved again", dir_);
  cursor_save_failing_ = !saved;
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
