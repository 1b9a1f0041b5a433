#include "plugins/inputs/file/tailer.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/common/time.h"
#include "core/event/line_reader.h"
#include "core/pipeline/ack.h"

namespace auditrelay::file_input {

void Tailer::check_all() {
  for (auto& [ino, f] : files_.by_inode) {
    if (f->fd < 0) {
      struct stat st {};
      if (::stat(f->path.c_str(), &st) == 0 && InodeKey{st.st_dev, st.st_ino} == ino &&
          static_cast<uint64_t>(st.st_size) != f->offset)
        f->reopen();
    } else if (f->fp && !f->held_copy && !still_matches(f->fd, *f->fp)) {
      f->truncated = true;
    }
  }
}

bool Tailer::read_pass(bool full, std::set<TrackedFile*>& dirty) {
  parts_.identifier.identify_new_files(dirty);
  // Rotated files first; while one found at start still has data, its successor waits.
  std::vector<TrackedFile*> order;
  for (auto& [ino, f] : files_.by_inode)
    if (f->rotated) order.push_back(f.get());
  for (auto& [ino, f] : files_.by_inode)
    if (!f->rotated) order.push_back(f.get());
  bool progressed = false, draining = false;
  std::set<TrackedFile*> still_dirty;
  for (TrackedFile* f : order) {
    if (host_.stopping().load()) break;
    if (f->fd < 0 && dirty.count(f)) {
      parts_.limit.close_one_if_full();
      f->reopen();
    }
    if (f->fd < 0 || f->held_copy) continue;
    if (!f->rotated && draining) {
      if (dirty.count(f)) still_dirty.insert(f);  // its turn comes once the old file is done
      continue;
    }
    // Without an event a file is read only in a full pass, except while it has more to give.
    if (!full && !dirty.count(f) && !f->rotated && !f->start_at_end && f->fp) continue;
    bool got = read_file(*f);
    if (got) {
      still_dirty.insert(f);
      if (f->drain_first) draining = true;
    }
    progressed |= got;
  }
  dirty = std::move(still_dirty);
  return progressed;
}

bool Tailer::read_file(TrackedFile& f) {
  // Shrunk, or rewritten from the start (a truncation followed by more writes than were read
  // leaves the size above the offset; only the first bytes tell).
  f.size_seen = size_of(f.fd);
  if (f.truncated ||
      (f.fp && truncated_in_place(f.size_seen, f.offset, still_matches(f.fd, *f.fp)))) {
    if (!f.fp)
      f.truncated = false;
    else
      handle_truncation(f);
  }
  if (!f.fp && !parts_.identifier.identify(f)) return false;
  f.start_at_end = false;
  return read_chunk(f);
}

// One read of read_buffer bytes at the file's offset, framed into one batch. True when the read
// filled the buffer (more may wait); a short read reached the end, and the next append is an
// inotify event (or a poll) away.
bool Tailer::read_chunk(TrackedFile& f) {
  if (!acquire(opts_.read_size)) return false;
  // Read into a padded buffer so simdjson can parse records in place downstream.
  if (!buf_)
    buf_ = std::make_unique_for_overwrite<char[]>(opts_.read_size + simdjson::SIMDJSON_PADDING);
  ssize_t n = ::pread(f.fd, buf_.get(), opts_.read_size, static_cast<off_t>(f.offset));
  auto batch = new_batch(f, opts_.read_size);
  // A bulk read (half the buffer or more) hands the buffer itself to the batch, and the lines
  // stay where they were read instead of being copied (e2e_bench file -> http: see
  // docs/performance.md). A trickle read copies its few lines into text sized by what was read,
  // so it does not hold read_buffer bytes of malloc per batch (the whole read_buffer is still
  // counted in the budget either way).
  if (n > 0 && static_cast<size_t>(n) >= opts_.read_size / 2) {
    batch->chunk = std::move(buf_);
    batch->chunk_size = static_cast<size_t>(n);
    batch->reserve(4096);  // lines joined across reads, source attributes
  } else if (n > 0) {
    batch->reserve(static_cast<size_t>(n) + 4096);
  }
  const char* bytes = batch->chunk ? batch->chunk.get() : buf_.get();
  BatchSink sink(batch.get());
  // A read that stopped short of the size seen before it (a filesystem that returns less than
  // asked before the end) also goes on at once: only the end of the file waits for an event.
  bool progressed = n == static_cast<ssize_t>(opts_.read_size) ||
                    (n > 0 && f.size_seen > f.offset + static_cast<uint64_t>(n));
  if (n > 0) {
    f.reader->feed(std::string_view(bytes, static_cast<size_t>(n)), f.offset, sink);
    f.offset += static_cast<uint64_t>(n);
    parts_.metrics.bytes_read += static_cast<uint64_t>(n);
    ++parts_.metrics.reads;
    f.last_data = Clock::now();
  } else if (n < 0 && !f.warned_unreadable) {
    f.warned_unreadable = true;
    spdlog::warn("input {}: cannot read {}: {}", name_, f.path, std::strerror(errno));
  } else if (Clock::now() - f.last_data >= opts_.multiline_flush) {
    f.reader->flush_held(sink);  // idle: a held multi-line entry has no more lines coming
  }
  flush_held_too_long(f, sink);
  count_cut_lines(f);
  submit(f, std::move(batch));
  return progressed;
}

void Tailer::handle_truncation(TrackedFile& f) {
  if (!f.fp) return;
  f.truncated = true;
  // copytruncate copies first: look for the copy now, before this file starts over.
  parts_.discovery.scan();
  bool copied = parts_.identifier.take_copies_of(f);
  spdlog::info("input {}: {} was truncated; reading it again from the start", name_, f.path);
  ++parts_.metrics.rotations;
  f.truncated = false;
  f.fp.reset();
  f.key.clear();
  f.start_at_end = false;
  f.offset = 0;
  if (copied) {
    // The copy is read from the safe offset, so what this file's framer still holds (entries,
    // partials, records waiting for the other stream) comes from the copy: drop it here.
    f.reader = make_line_reader(opts_);
    f.truncated_seen = 0;
  } else {
    f.reader->reset(0);  // no copy: what the framer holds is emitted from here
  }
  f.held_at = UINT64_MAX;
  f.tracker.reset();
}

// An entry held for multiline_flush while other lines keep coming (a container stream fell
// silent mid-entry, a message ending in " ..." with no block) is emitted as it is, so that it
// cannot hold back the other stream's events (they wait for it: inputs.md "Order").
void Tailer::flush_held_too_long(TrackedFile& f, RecordSink& sink) {
  if (!f.reader->holds_lines()) {
    f.held_at = UINT64_MAX;
    return;
  }
  uint64_t held = f.reader->safe_offset();
  auto now = Clock::now();
  if (held != f.held_at) {
    f.held_at = held;
    f.held_since = now;
  } else if (now - f.held_since >= opts_.multiline_flush) {
    f.reader->flush_held(sink);
    f.held_at = UINT64_MAX;
  }
}

void Tailer::count_cut_lines(TrackedFile& f) {
  if (uint64_t cut = f.reader->lines_truncated() - f.truncated_seen; cut > 0) {
    parts_.metrics.lines_truncated += cut;
    warn_cut_lines(f, cut);
  }
  f.truncated_seen = f.reader->lines_truncated();
}

// Lines cut at max_line_size lose their rest: say so in the log, at most once a minute (with
// how many since the last warning), besides auditrelay_lines_truncated_total.
void Tailer::warn_cut_lines(const TrackedFile& f, uint64_t cut) {
  cut_unwarned_ += cut;
  auto now = Clock::now();
  if (last_cut_warning_ != Clock::time_point{} && now - last_cut_warning_ < std::chrono::minutes(1))
    return;
  spdlog::warn(
      "input {}: {} line(s) longer than max_line_size ({} bytes) cut there, the rest of each "
      "discarded (latest in {}); auditrelay_lines_truncated_total counts them",
      name_, cut_unwarned_, opts_.max_line, f.path);
  last_cut_warning_ = now;
  cut_unwarned_ = 0;
}

std::unique_ptr<RecordBatch> Tailer::new_batch(const TrackedFile& f, size_t budget) const {
  auto batch = std::make_unique<RecordBatch>();
  batch->source = f.source;
  batch->observed = now_timestamp();
  batch->budget = budget;
  return batch;
}

// Memory budget for a batch (pipeline.max_in_flight); waits while the outputs hold it all.
bool Tailer::acquire(size_t bytes) {
  parts_.metrics.waiting_for_memory.store(1);
  bool ok = host_.acquire(bytes);
  parts_.metrics.waiting_for_memory.store(0);
  return ok;
}

void Tailer::submit(TrackedFile& f, std::unique_ptr<RecordBatch> batch) {
  if (batch->records.empty()) {
    host_.release(batch->budget);
    return;
  }
  parts_.metrics.lines_read += batch->records.size();
  uint64_t end = f.reader->safe_offset();
  spdlog::debug("input {}: {} record(s) read from {} (up to offset {})", name_,
                batch->records.size(), f.path, end);
  uint64_t ticket = f.tracker->add(end);
  CheckpointStore* store = &host_.checkpoints();
  batch->ack = std::make_shared<AckToken>(
      [tracker = f.tracker, ticket, key = f.key, path = f.path, store, retired = f.retired] {
        tracker->ack(ticket, [&](uint64_t committed) {
          if (!retired->load()) store->set(key, Checkpoint{path, committed, 0});
        });
      });
  host_.submit(std::move(batch));
}

void Tailer::close_finished() {
  for (auto it = files_.by_inode.begin(); it != files_.by_inode.end();) {
    TrackedFile& f = *it->second;
    bool gone_copy = f.held_copy && ::access(f.path.c_str(), F_OK) != 0;
    bool quiet = f.rotated && Clock::now() - f.rotated_at >= opts_.rotate_wait &&
                 Clock::now() - f.last_data >= opts_.rotate_wait &&
                 (f.fd < 0 || size_of(f.fd) <= f.offset);
    if (!quiet && !gone_copy) {
      ++it;
      continue;
    }
    if (quiet) finish_file(f);
    forget(f);
    std::erase_if(files_.by_path, [&f](const auto& kv) { return kv.second == &f; });
    it = files_.by_inode.erase(it);
  }
}

void Tailer::finish_file(TrackedFile& f) {
  if (f.fp && acquire(64 * 1024)) {
    auto batch = new_batch(f, 64 * 1024);
    BatchSink sink(batch.get());
    f.reader->finish(sink);  // the final line without a newline, now that no more will come
    submit(f, std::move(batch));
  }
  spdlog::info("input {}: closed rotated file {}", name_, f.path);
}

// What becomes of a closed file's position.
void Tailer::forget(TrackedFile& f) {
  struct stat st {};
  if (f.fd < 0 || ::fstat(f.fd, &st) != 0 || f.key.empty()) return;
  if (st.st_nlink == 0) {
    // Deleted: nothing can read it again, so its position goes (a reused inode starts fresh).
    f.retired->store(true);
    host_.checkpoints().erase(f.key);
  } else if (f.fp) {
    // Still on disk (renamed within the patterns): remembered, so it is not read again.
    files_.closed_size[f.inode] = static_cast<uint64_t>(st.st_size);
    files_.saved.push_back(SavedPosition{f.key, ParsedFileKey{*f.fp, f.inode.first, f.inode.second},
                                         Checkpoint{f.path, f.offset, 0}});
  }
}

void Tailer::update_open_and_lag() {
  int64_t open = 0, lag = 0;
  for (const auto& [ino, f] : files_.by_inode) {
    open += f->fd >= 0;
    if (f->fp && f->size_seen > f->offset) lag += static_cast<int64_t>(f->size_seen - f->offset);
  }
  parts_.metrics.files_open.store(open);
  parts_.metrics.read_lag.store(lag);
}

}  // namespace auditrelay::file_input
