// Input `journald`: reads Coder's entries from the systemd journal with libsystemd's sd-journal.
//
// Position: the journal cursor of the last entry whose records every output acknowledged, saved
// like a file offset (checkpoint key "journald:<input>"). After a restart the input seeks to it
// and skips that entry; when it is gone (vacuumed), sd-journal lands on the oldest entry after
// it, which is read, and the gap is logged and counted.
//
// Framing: each entry's MESSAGE is one line of its process (unit + PID): a human entry's block
// arrives as the entries that follow it, so lines go through one framer per process, which joins
// them as for a file. Entries are numbered in the order read; a record carries the number of its
// first entry until it is emitted, when the entry's journal data (sequence number, time,
// priority, unit, PID, boot ID, cursor) replace it.
//
// Backpressure: the journal is the buffer; while pipeline.max_in_flight is used up, nothing is
// read. Idle: sd_journal_wait (inotify), woken at most every 250 ms to see a stop.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/common/json_writer.h"
#include "core/event/format.h"
#include "core/metrics/metrics.h"
#include "core/pipeline/ack.h"
#include "core/pipeline/offset_tracker.h"
#include "core/plugin/input.h"
#include "core/registry/registry.h"
#include "core/server/health_board.h"
#include "plugins/inputs/journald/journal.h"

namespace auditrelay {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWaitSlice = std::chrono::milliseconds(250);  // how soon a stop is seen when idle
constexpr auto kReopenInterval = std::chrono::seconds(5);
constexpr auto kStreamForgetAfter = std::chrono::minutes(5);
// How often held blocks and idle processes are looked at while entries keep coming.
constexpr auto kMaintainInterval = std::chrono::milliseconds(100);
// Entries kept for records not yet emitted; past this every held entry is emitted as it is, so a
// process that holds a block while others write fast cannot make the input hold much memory
// (about 300 bytes an entry).
constexpr size_t kMaxEntriesHeld = 8192;
// A record's place among the records of its entry (a MESSAGE of several lines gives several):
// its source offset is the entry's sequence number shifted by this, plus the place, so each has
// its own derived event_id.
constexpr int kRecordBits = 16;

struct JournaldOptions {
  std::string directory;  // empty: the system journal
  std::vector<std::string> units;
  std::vector<std::pair<std::string, std::vector<std::string>>> matches;
  bool from_end = false;
  const Format* format = nullptr;
  size_t max_line = 1 << 20;
  size_t batch_bytes = 256 * 1024;
  std::chrono::milliseconds multiline_flush{1000};
};

// syslog priorities: 0 emerg, 1 alert, 2 crit, 3 err, 4 warning, 5 notice, 6 info, 7 debug.
Severity severity_of_priority(int p) {
  static constexpr Severity kMap[8] = {Severity::Fatal, Severity::Critical, Severity::Critical,
                                       Severity::Error, Severity::Warn,     Severity::Info,
                                       Severity::Info,  Severity::Debug};
  return kMap[p];
}

// A decimal number JSON can hold as written (no leading zero).
bool json_integer(std::string_view s) {
  return !s.empty() && s.size() < 19 && (s[0] != '0' || s.size() == 1) &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What is kept of an entry until its records are out (a multi-line block may hold it).
struct EntryMeta {
  std::string cursor, unit, pid, boot_id;
  std::shared_ptr<const SourceInfo> source;
  uint64_t seqnum = 0;
  Timestamp realtime;
  uint8_t severity = Record::kNoWrapperSeverity;
  uint32_t records = 0;  // emitted so far
};

// The data of entries first..first+size-1 in a ring of reused slots: once warm, keeping an
// entry allocates nothing (its strings keep their capacity). Was a std::deque: three
// allocations and frees per entry.
class EntryWindow {
 public:
  // The slot of entry first() + size(), with what an older entry left in it: set every field.
  EntryMeta& push() {
    if (size_ == slots_.size()) grow();
    EntryMeta& m = slots_[(first_ + size_) & (slots_.size() - 1)];
    ++size_;
    return m;
  }
  EntryMeta& at(uint64_t entry) { return slots_[entry & (slots_.size() - 1)]; }
  void drop_before(uint64_t entry) {
    uint64_t n = entry > first_ ? std::min<uint64_t>(entry - first_, size_) : 0;
    first_ += n;
    size_ -= static_cast<size_t>(n);
    // After a burst of held entries, give the memory back.
    if (slots_.size() > kSmall && size_ < slots_.size() / 16)
      resize(std::max(kSmall, std::bit_ceil(size_ * 2)));
  }
  size_t size() const { return size_; }

 private:
  static constexpr size_t kSmall = 64;
  void grow() { resize(std::max(kSmall, slots_.size() * 2)); }
  void resize(size_t slots) {
    std::vector<EntryMeta> next(slots);
    for (uint64_t i = first_; i < first_ + size_; ++i)
      next[i & (slots - 1)] = std::move(slots_[i & (slots_.size() - 1)]);
    slots_ = std::move(next);
  }
  std::vector<EntryMeta> slots_;  // a power of two of them
  uint64_t first_ = 0;
  size_t size_ = 0;
};

// The lines of one process (unit + PID), framed together.
struct ProcessStream {
  std::unique_ptr<Framer> framer;
  Clock::time_point last_line;
  uint64_t held_at = UINT64_MAX;  // the entry the framer held at the last look, and since when
  Clock::time_point held_since{};
};

class JournaldInput final : public Input, private RecordSink {
 public:
  JournaldInput(const PluginContext& ctx, JournaldOptions opts)
      : name_(ctx.name),
        opts_(std::move(opts)),
        health_(ctx.health),
        key_("journald:" + ctx.name) {}

  void run(InputHost& host) override {
    host_ = &host;
    auto label = "input=\"" + name_ + "\"";
    entries_read_ = &host.metrics().counter("auditrelay_journal_entries_read_total", label);
    records_read_ = &host.metrics().counter("auditrelay_journal_records_read_total", label);
    truncated_ = &host.metrics().counter("auditrelay_journal_messages_truncated_total", label);
    gaps_ = &host.metrics().counter("auditrelay_journal_cursor_gaps_total", label);
    waiting_for_memory_ = &host.metrics().gauge("auditrelay_input_waiting_for_memory", label);
    auto next_open = Clock::now();
    while (!host.stopping().load()) {
      if (!journal_) {
        if (Clock::now() >= next_open && open_journal()) continue;
        if (!journal_) next_open = std::max(next_open, Clock::now() + kReopenInterval);
        wait_for_stop(kWaitSlice);
        continue;
      }
      int r = journal_->next();
      if (r > 0) {
        take_entry();
        if (entries_.size() > kMaxEntriesHeld) flush_all_streams();
        if (Clock::now() >= next_maintenance_) maintain();
        if (batch_ && batch_->text.size() >= opts_.batch_bytes) submit_batch();
        continue;
      }
      if (r < 0) warn_read_error(r);
      // Caught up: what is held too long goes out, the batch is handed on, then wait.
      maintain();
      submit_batch();
      if (journal_->wait(wait_time())) check_readable();
    }
    // A batch being filled when the stop came is dropped: its entries are not acknowledged, so
    // the next start reads them again.
    if (batch_) host.release(batch_->budget);
  }

 private:
  // ---- opening and positioning ---------------------------------------------------------

  bool open_journal() {
    std::string error;
    auto j = Journal::open(opts_.directory, error);
    if (j && !j->filter(opts_.units, opts_.matches, error)) j.reset();
    if (!j) {
      if (error != last_open_error_)
        spdlog::error("input {}: {}; trying again every 5s", name_, error);
      last_open_error_ = error;
      fail(error);
      return false;
    }
    last_open_error_.clear();
    // The library may cut longer fields (its limit counts the "MESSAGE=" before the value); the
    // input cuts at max_line_size itself, and counts the cut, so the library must leave more.
    j->set_field_limit(opts_.max_line + 1 + std::string_view("MESSAGE=").size());
    journal_ = std::move(j);
    position();
    check_readable();
    return true;
  }

  void position() {
    auto saved = host_->checkpoints().get(key_);
    if (saved && !saved->cursor.empty() && journal_->seek_cursor(saved->cursor)) {
      resume_cursor_ = start_cursor_ = saved->cursor;
      spdlog::info("input {}: resuming after journal cursor {}", name_, saved->cursor);
    } else if (opts_.from_end && !saved) {
      // read_from: end applies to the very first start only. The decision is saved at once,
      // even on an empty journal (an empty cursor: from the beginning), so a later start reads
      // everything after this point, however soon it comes.
      start_cursor_ = journal_->seek_tail();
      host_->checkpoints().set(key_, checkpoint(start_cursor_));
      host_->checkpoints().save();
    } else {
      if (saved && !saved->cursor.empty())
        spdlog::warn(
            "input {}: the saved journal cursor '{}' cannot be used; reading from the "
            "oldest entry",
            name_, saved->cursor);
      journal_->seek_head();
    }
    tracker_ = std::make_shared<CursorTracker>(start_cursor_);
  }

  Checkpoint checkpoint(const std::string& cursor) const {
    return Checkpoint{opts_.directory, 0, 0, cursor};
  }

  // Readiness: the journal opened but no file in it could be (permissions, an empty directory).
  void check_readable() {
    if (journal_->usage() > 0) {
      if (!health_failing_.empty()) spdlog::info("input {}: journal files readable again", name_);
      if (health_) health_->ok("input " + name_);
      health_failing_.clear();
      return;
    }
    std::string where =
        opts_.directory.empty() ? "/var/log/journal or /run/log/journal" : opts_.directory;
    std::string why = "no journal file in " + where +
                      " can be read (none there, or no permission: the agent's user needs the "
                      "systemd-journal group)";
    if (why != health_failing_) spdlog::warn("input {}: {}", name_, why);
    fail(why);
  }

  void fail(const std::string& why) {
    health_failing_ = why;
    if (health_) health_->fail("input " + name_, why);
  }

  // ---- reading -------------------------------------------------------------------------

  void take_entry() {
    journal_->cursor(cursor_);
    if (!resume_cursor_.empty() && !check_resume(cursor_)) return;
    JournalEntry& e = entry_;
    journal_->read(e, simdjson::SIMDJSON_PADDING);
    ++*entries_read_;
    EntryMeta& m = entries_.push();
    m.records = 0;
    m.cursor.assign(cursor_);
    m.unit.assign(e.unit);
    m.pid.assign(e.pid);
    m.boot_id.assign(e.boot_id);
    CursorPosition pos = parse_cursor(m.cursor);
    m.source = source_for(e.hostname, pos.seqnum_id);
    m.seqnum = pos.seqnum;
    m.realtime = e.realtime_usec == 0
                     ? Timestamp{}
                     : Timestamp{static_cast<int64_t>(e.realtime_usec / 1000000),
                                 static_cast<uint32_t>(e.realtime_usec % 1000000 * 1000), 6};
    m.severity = e.priority >= 0 ? static_cast<uint8_t>(severity_of_priority(e.priority))
                                 : Record::kNoWrapperSeverity;

    std::string_view message = e.message;
    if (message.size() > opts_.max_line) {
      message = message.substr(0, opts_.max_line);
      ++*truncated_;
    }
    ProcessStream& s = stream_for(e.unit, e.pid);
    s.last_line = Clock::now();
    // A message may hold several lines (sd_journal_send); each is a line of the process.
    LineMeta meta{m.realtime, Stream::None};
    for (size_t start = 0;;) {
      size_t nl = message.find('\n', start);
      // The message's buffer keeps SIMDJSON_PADDING bytes after it, which framers and parsers
      // may read past a line.
      std::string_view line = message.substr(start, nl == std::string_view::npos ? nl : nl - start);
      s.framer->line(line, fed_, *this, meta);
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
    ++fed_;
  }

  // The first entry after seeking to a saved cursor: the saved entry itself (delivered: skip
  // it) or, when that is gone, the oldest one after it (a gap: read it).
  bool check_resume(const std::string& cursor) {
    std::string saved = std::move(resume_cursor_);
    resume_cursor_.clear();
    if (journal_->is_at(saved)) return false;
    CursorPosition was = parse_cursor(saved), now = parse_cursor(cursor);
    bool same_space =
        was.valid && now.valid && was.seqnum_id == now.seqnum_id && now.seqnum > was.seqnum;
    if (same_space && now.seqnum == was.seqnum + 1) return true;  // only the saved entry is gone
    ++*gaps_;
    std::string lost =
        same_space ? std::to_string(now.seqnum - was.seqnum - 1) + " journal entries (all units) "
                   : "an unknown number of entries ";
    spdlog::warn(
        "input {}: the saved journal position {} no longer exists (vacuumed or rotated "
        "away); {}were lost, resuming at the oldest entry after it ({})",
        name_, saved, lost, cursor);
    return true;
  }

  ProcessStream& stream_for(std::string_view unit, std::string_view pid) {
    stream_key_.assign(unit);
    stream_key_.push_back('\0');
    stream_key_.append(pid);
    auto it = streams_.find(stream_key_);
    if (it == streams_.end())
      it = streams_.emplace(stream_key_, ProcessStream{opts_.format->make_framer(), {}}).first;
    return it->second;
  }

  // Batches hold one source: the host and the journal's sequence number space (part of the
  // derived event ids, with the entry's sequence number).
  std::shared_ptr<const SourceInfo> source_for(std::string_view hostname,
                                               std::string_view seqnum_id) {
    source_key_.assign(hostname);
    source_key_.push_back('\0');
    source_key_.append(seqnum_id);
    auto it = sources_.find(source_key_);
    if (it != sources_.end()) return it->second;
    if (sources_.size() > 1024) sources_.clear();  // batches in flight keep their own
    auto src = std::make_shared<SourceInfo>();
    src->input = name_;
    src->type = "journald";
    src->identity = "journal:" + std::string(seqnum_id);
    src->host = hostname.empty() ? host_->host_name() : std::string(hostname);
    src->positional = false;
    sources_.emplace(source_key_, src);
    return src;
  }

  // ---- records and batches -------------------------------------------------------------

  // A framed record: `r.offset` is the number of its first entry.
  void emit(const FramedRecord& r) override {
    if (batch_ && batch_->source != meta_of(r.offset).source) submit_batch(r.offset);
    if (!batch_ && !start_batch()) return;
    EntryMeta& m = meta_of(r.offset);  // after the submit: it may have moved the window's slots
    if (!batch_->source) batch_->source = m.source;
    uint64_t place = std::min<uint64_t>(m.records++, (1u << kRecordBits) - 1);
    batch_->add(r.text, m.seqnum << kRecordBits | place, r.format,
                r.wrapper_time.valid() ? r.wrapper_time : m.realtime, r.stream, r.flags);
    batch_->records.back().wrapper_severity = m.severity;
    // "journal":{"unit":..,"pid":..,"boot_id":..,"cursor":..}, the members source gets.
    attrs_.assign("\"journal\":{");
    if (!m.unit.empty()) {
      attrs_.append("\"unit\":");
      json_string_append(attrs_, m.unit);
      attrs_.push_back(',');
    }
    if (json_integer(m.pid)) attrs_.append("\"pid\":").append(m.pid).push_back(',');
    if (!m.boot_id.empty()) {
      attrs_.append("\"boot_id\":");
      json_string_append(attrs_, m.boot_id);
      attrs_.push_back(',');
    }
    attrs_.append("\"cursor\":");
    json_string_append(attrs_, m.cursor);
    attrs_.push_back('}');
    batch_->add_source_attrs(attrs_);
  }

  bool start_batch() {
    waiting_for_memory_->store(1);
    bool ok = host_->acquire(opts_.batch_bytes);
    waiting_for_memory_->store(0);
    if (!ok) return false;  // stopping: these records are not acknowledged, so read again later
    batch_ = std::make_unique<RecordBatch>();
    batch_->reserve(opts_.batch_bytes);
    batch_->observed = now_timestamp();
    batch_->budget = opts_.batch_bytes;
    return true;
  }

  // Hands the batch on with the position after it: every entry numbered below `limit` and
  // below what any framer holds has its records in this batch or an earlier one.
  void submit_batch(uint64_t limit = UINT64_MAX) {
    uint64_t done = std::min(limit, first_held());
    if (!batch_) {
      forget_before(done);
      return;
    }
    std::unique_ptr<RecordBatch> batch = std::move(batch_);
    if (batch->records.empty()) {
      host_->release(batch->budget);
      forget_before(done);
      return;
    }
    *records_read_ += batch->records.size();
    std::string end = cursor_before(done);
    spdlog::debug("input {}: {} record(s) read from the journal (up to cursor {})", name_,
                  batch->records.size(), end);
    uint64_t ticket = tracker_->add(end);
    CheckpointStore* store = &host_->checkpoints();
    batch->ack = std::make_shared<AckToken>(
        [tracker = tracker_, ticket, key = key_, store, cp = checkpoint({})] {
          tracker->ack(ticket, [&](const std::string& committed) {
            Checkpoint now = cp;
            now.cursor = committed;
            if (!now.cursor.empty()) store->set(key, now);
          });
        });
    host_->submit(std::move(batch));
    forget_before(done);
  }

  // The number of the first entry some framer still holds (fed_ when none does).
  uint64_t first_held() const {
    uint64_t first = fed_;
    for (const auto& [key, s] : streams_) first = std::min(first, s.framer->held_from(fed_));
    return first;
  }

  EntryMeta& meta_of(uint64_t entry) { return entries_.at(entry); }

  // The cursor that says "every entry below `entry` is done".
  std::string cursor_before(uint64_t entry) {
    return entry == 0 ? start_cursor_ : meta_of(entry - 1).cursor;
  }

  // Entries below `entry` - 1 are no longer needed (the one before stays: its cursor).
  void forget_before(uint64_t entry) {
    if (entry > 0) entries_.drop_before(entry - 1);
  }

  // ---- held entries and idle streams ---------------------------------------------------

  // Held blocks that are due go out; processes quiet for long are forgotten.
  void maintain() {
    auto now = Clock::now();
    next_maintenance_ = now + kMaintainInterval;
    for (auto& [key, s] : streams_) flush_if_due(s, now);
    std::erase_if(streams_, [&](const auto& kv) {
      return now - kv.second.last_line >= kStreamForgetAfter &&
             kv.second.framer->held_from(fed_) == fed_;
    });
  }

  // A block is complete once its process writes no more lines for multiline_flush; one whose
  // process keeps writing continuation lines goes out once it has been held that long, so it
  // cannot hold the position (and memory) for ever.
  void flush_if_due(ProcessStream& s, Clock::time_point now) {
    uint64_t held = s.framer->held_from(fed_);
    if (held == fed_) {
      s.held_at = UINT64_MAX;
      return;
    }
    if (held != s.held_at) {
      s.held_at = held;
      s.held_since = now;
    }
    if (now - s.last_line >= opts_.multiline_flush || now - s.held_since >= opts_.multiline_flush) {
      s.framer->flush(*this);
      s.held_at = UINT64_MAX;
    }
  }

  // Too many entries are waiting for held blocks: emit them all and hand the batch on, which
  // forgets the entries before.
  void flush_all_streams() {
    for (auto& [key, s] : streams_) s.framer->flush(*this);
    submit_batch();
  }

  // Until the next held block is due, at most kWaitSlice (a stop must be seen soon).
  uint64_t wait_time() const {
    auto wait = std::chrono::duration_cast<std::chrono::microseconds>(kWaitSlice);
    auto now = Clock::now();
    for (const auto& [key, s] : streams_)
      if (s.framer->held_from(fed_) < fed_)
        wait =
            std::min(wait, std::chrono::duration_cast<std::chrono::microseconds>(
                               std::min(s.last_line, s.held_since) + opts_.multiline_flush - now));
    return static_cast<uint64_t>(std::max<int64_t>(wait.count(), 1000));
  }

  void wait_for_stop(std::chrono::milliseconds d) {
    auto until = Clock::now() + d;
    while (!host_->stopping().load() && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  void warn_read_error(int r) {
    auto now = Clock::now();
    if (now - last_read_warning_ >= std::chrono::minutes(1)) {
      spdlog::warn("input {}: cannot read the next journal entry: {}", name_, std::strerror(-r));
      last_read_warning_ = now;
    }
  }

  std::string name_;
  JournaldOptions opts_;
  HealthBoard* health_;
  std::string key_;  // checkpoint key
  InputHost* host_ = nullptr;
  std::unique_ptr<Journal> journal_;
  std::string last_open_error_, health_failing_;
  std::string start_cursor_;   // where this run started (empty: the beginning)
  std::string resume_cursor_;  // the saved cursor, until the first entry after the seek
  std::shared_ptr<CursorTracker> tracker_;

  uint64_t fed_ = 0;     // entries read in this run (the next one's number)
  EntryWindow entries_;  // read and not yet known to be done
  std::map<std::string, ProcessStream, std::less<>> streams_;
  std::map<std::string, std::shared_ptr<const SourceInfo>, std::less<>> sources_;
  std::unique_ptr<RecordBatch> batch_;

  JournalEntry entry_;  // the entry being read (its buffers are reused)
  std::string cursor_, attrs_, stream_key_, source_key_;
  Clock::time_point next_maintenance_{};
  Clock::time_point last_read_warning_{};
  Metrics::Counter* entries_read_ = nullptr;
  Metrics::Counter* records_read_ = nullptr;
  Metrics::Counter* truncated_ = nullptr;
  Metrics::Counter* gaps_ = nullptr;
  std::atomic<int64_t>* waiting_for_memory_ = nullptr;
};

JournaldOptions options_from(const Options& o) {
  JournaldOptions opts;
  opts.directory = o.str("directory");
  opts.units = o.list("units");
  for (auto& [field, values] : o.map_of_lists("matches")) opts.matches.emplace_back(field, values);
  opts.from_end = o.str("read_from") == "end";
  opts.format = Registry::instance().format(o.str("format", "auto"));
  opts.max_line = o.size("max_line_size", 1 << 20);
  opts.batch_bytes = std::max<uint64_t>(4096, o.size("batch_size", 256 * 1024));
  opts.multiline_flush = o.duration("multiline_flush", std::chrono::milliseconds(1000));
  return opts;
}

void validate(const Options& o, const std::string& path, Diagnostics& diags, Schema /*schema: no templates*/) {
  std::string f = o.str("format", "auto");
  const Format* format = Registry::instance().format(f);
  if (!format || f == "cri" || f == "docker") {
    diags.error(
        o.line("format"), path + ".format",
        "unknown format '" + f + "' for the journal; available: auto, slog_json, slog_human, raw");
  }
  if (o.size("max_line_size", 1) < 64)
    diags.error(o.line("max_line_size"), path + ".max_line_size", "must be at least 64 bytes");
  std::string dir = o.str("directory");
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      diags.error(o.line("directory"), path + ".directory", "'" + dir + "' is not a directory");
    else if (::access(dir.c_str(), R_OK | X_OK) != 0)
      diags.error(o.line("directory"), path + ".directory",
                  "cannot read '" + dir + "': " + std::strerror(errno) +
                      " (the agent's user needs the systemd-journal group)");
  }
  for (const auto& [field, values] : o.map_of_lists("matches")) {
    bool ok = !field.empty() && std::all_of(field.begin(), field.end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
    if (!ok)
      diags.error(o.line("matches", field), path + ".matches." + field,
                  "a journal field name is upper-case letters, digits and '_' (e.g. _TRANSPORT, "
                  "SYSLOG_IDENTIFIER)");
    else if (field == "_SYSTEMD_UNIT")
      diags.error(o.line("matches", field), path + ".matches." + field,
                  "give units in `units` (sd-journal would OR them with it)");
  }
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Input,
    .name = "journald",
    .summary = "Reads Coder's entries from the systemd journal (sd-journal), cursor checkpoints",
    .options =
        {
            {"directory", OptType::String, "", false,
             "a directory of journal files (a host's /var/log/journal mounted in a container); "
             "empty: the system journal, as `journalctl --system` reads it"},
            {"units", OptType::StringList, "[\"coder.service\"]", false,
             "systemd units whose entries are read (`_SYSTEMD_UNIT`); an empty list reads every "
             "unit"},
            {"matches", OptType::MapOfLists, "", false,
             "more journal matches, `FIELD: value` or `FIELD: [v1, v2]`: every field must match, "
             "one of its values"},
            {"read_from",
             OptType::Enum,
             "beginning",
             false,
             "where the very first start begins (no saved cursor yet): the oldest entry or after "
             "the newest",
             {"beginning", "end"}},
            {"format", OptType::String, "auto", false,
             "how MESSAGE is parsed: auto (slog JSON, human or plain text), slog_json, slog_human "
             "or raw"},
            {"max_line_size", OptType::Size, "1MiB", false,
             "longer messages are cut to this size; the rest is discarded and counted"},
            {"batch_size", OptType::Size, "256KiB", false,
             "bytes of records per batch (taken from pipeline.max_in_flight)"},
            {"multiline_flush", OptType::Duration, "1s", false,
             "a held multi-line entry is emitted after its process wrote nothing for this long, "
             "or once it has been held this long"},
        },
    .make_input = [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Input> {
      return std::make_unique<JournaldInput>(ctx, options_from(o));
    },
    .validate = validate,
    .metrics =
        {
            {"auditrelay_journal_entries_read_total", MetricType::Counter, "input",
             "journal entries read (those matching `units` and `matches`)"},
            {"auditrelay_journal_records_read_total", MetricType::Counter, "input",
             "records made of them: a human entry with its block counts once"},
            {"auditrelay_journal_messages_truncated_total", MetricType::Counter, "input",
             "messages cut at `max_line_size`"},
            {"auditrelay_journal_cursor_gaps_total", MetricType::Counter, "input",
             "starts whose saved cursor no longer existed (vacuumed): reading resumed at the "
             "oldest entry after it, and the log says how many entries were lost"},
        },
});

}  // namespace
}  // namespace auditrelay
