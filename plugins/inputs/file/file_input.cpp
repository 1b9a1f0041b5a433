// Input `file`: tails files matching glob patterns. Each file is identified by a fingerprint of
// its first line (so a renamed file keeps its position and a reused inode is a new file), read in
// chunks, framed by the configured format and handed over in batches. Its position is saved only
// once every output acknowledged the batches before it.
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "agent/event/format.h"
#include "agent/metrics/metrics.h"
#include "agent/pipeline/ack.h"
#include "agent/pipeline/offset_tracker.h"
#include "agent/plugin/input.h"
#include "agent/registry/registry.h"
#include "agent/event/line_reader.h"

namespace auditrelay {
namespace {

using Clock = std::chrono::steady_clock;

struct FileInputOptions {
  std::vector<std::string> paths, exclude;
  bool from_end = false;
  const Format* format = nullptr;
  size_t max_line = 1 << 20;
  size_t read_size = 256 * 1024;
  std::chrono::milliseconds glob_interval{1000}, poll_interval{250}, multiline_flush{1000}, rotate_wait{5000};
  size_t fingerprint_bytes = 1024;
};

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Splits "/var/log/containers/<pod>_<namespace>_<container>-<id>.log" into Kubernetes metadata.
void kubernetes_from_path(const std::string& path, SourceInfo& s) {
  const std::string marker = "/var/log/containers/";
  size_t p = path.find(marker);
  if (p == std::string::npos) return;
  std::string name = path.substr(p + marker.size());
  if (name.size() > 4 && name.ends_with(".log")) name.resize(name.size() - 4);
  size_t a = name.find('_');
  size_t b = a == std::string::npos ? std::string::npos : name.find('_', a + 1);
  if (b == std::string::npos) return;
  s.k8s_pod = name.substr(0, a);
  s.k8s_namespace = name.substr(a + 1, b - a - 1);
  std::string rest = name.substr(b + 1);
  size_t dash = rest.rfind('-');
  s.k8s_container = dash == std::string::npos ? rest : rest.substr(0, dash);
}

struct TrackedFile {
  std::string path;
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  std::string identity;  // empty until the first line is complete
  uint64_t offset = 0;   // next byte to read
  std::unique_ptr<LineReader> reader;
  std::shared_ptr<OffsetTracker> tracker;
  std::shared_ptr<SourceInfo> source;
  Clock::time_point last_data = Clock::now();
  bool rotated = false;  // the path now names another file (or none)
  Clock::time_point rotated_at{};
  bool warned_unreadable = false;

  ~TrackedFile() {
    if (fd >= 0) ::close(fd);
  }
};

class FileInput final : public Input {
 public:
  FileInput(const PluginContext& ctx, FileInputOptions opts) : name_(ctx.name), opts_(std::move(opts)) {}

  void run(InputHost& host) override {
    host_ = &host;
    lines_read_ = &host.metrics().counter("auditrelay_lines_read_total", "input=\"" + name_ + "\"");
    bytes_read_ = &host.metrics().counter("auditrelay_bytes_read_total", "input=\"" + name_ + "\"");
    truncated_ = &host.metrics().counter("auditrelay_lines_truncated_total", "input=\"" + name_ + "\"");
    files_watched_ = &host.metrics().gauge("auditrelay_files_watched", "input=\"" + name_ + "\"");
    auto next_glob = Clock::now();
    bool first_scan = true;
    while (!host.stopping().load()) {
      if (Clock::now() >= next_glob) {
        scan(first_scan);
        first_scan = false;
        next_glob = Clock::now() + opts_.glob_interval;
      }
      bool progressed = false;
      for (auto it = files_.begin(); it != files_.end() && !host.stopping().load();) {
        TrackedFile& f = *it->second;
        progressed |= read_file(f);
        if (should_close(f)) {
          finish_file(f);
          it = files_.erase(it);
          continue;
        }
        ++it;
      }
      files_watched_->store(static_cast<int64_t>(files_.size()));
      if (!progressed) sleep(opts_.poll_interval);
    }
  }

 private:
  void sleep(std::chrono::milliseconds d) {
    auto until = Clock::now() + d;
    while (Clock::now() < until && !host_->stopping().load())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  bool excluded(const std::string& path) const {
    std::string base = path.substr(path.rfind('/') + 1);
    for (const auto& pat : opts_.exclude)
      if (fnmatch(pat.c_str(), path.c_str(), 0) == 0 || fnmatch(pat.c_str(), base.c_str(), 0) == 0) return true;
    return false;
  }

  void scan(bool first_scan) {
    std::set<std::string> seen;
    for (const auto& pattern : opts_.paths) {
      glob_t g{};
      int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
      if (rc == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) seen.insert(g.gl_pathv[i]);
      }
      globfree(&g);
    }
    // Files whose path now names another file, or nothing: rotated away.
    for (auto& [key, f] : files_) {
      struct stat st{};
      if (::stat(f->path.c_str(), &st) != 0 || st.st_ino != f->ino || st.st_dev != f->dev) {
        if (!f->rotated) {
          f->rotated = true;
          f->rotated_at = Clock::now();
        }
      }
    }
    for (const auto& path : seen) {
      if (excluded(path)) continue;
      struct stat st{};
      if (::stat(path.c_str(), &st) != 0) continue;
      if (!S_ISREG(st.st_mode)) {
        if (warned_.insert(path).second) spdlog::warn("input {}: {} is not a regular file; skipped", name_, path);
        continue;
      }
      auto key = std::make_pair(st.st_dev, st.st_ino);
      if (files_.count(key)) continue;
      open_file(path, st, first_scan);
    }
  }

  void open_file(const std::string& path, const struct stat& st, bool first_scan) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (warned_.insert(path).second)
        spdlog::warn("input {}: cannot open {}: {}; skipped", name_, path, std::strerror(errno));
      return;
    }
    auto f = std::make_unique<TrackedFile>();
    f->path = path;
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->reader = std::make_unique<LineReader>(opts_.format->make_framer(), opts_.max_line);
    f->source = std::make_shared<SourceInfo>();
    f->source->input = name_;
    f->source->type = "file";
    f->source->path = path;
    f->source->host = host_->host_name();
    kubernetes_from_path(path, *f->source);
    // Where to start is decided once the identity is known (first line complete).
    f->offset = 0;
    start_at_end_[f.get()] = first_scan && opts_.from_end;
    spdlog::info("input {}: watching {}", name_, path);
    files_.emplace(std::make_pair(st.st_dev, st.st_ino), std::move(f));
  }

  // Reads the first line to fingerprint the file; returns false while it is incomplete.
  bool identify(TrackedFile& f) {
    std::string head(opts_.fingerprint_bytes, '\0');
    ssize_t n = ::pread(f.fd, head.data(), head.size(), 0);
    if (n <= 0) return false;
    head.resize(static_cast<size_t>(n));
    size_t nl = head.find('\n');
    if (nl == std::string::npos && head.size() < opts_.fingerprint_bytes) return false;
    std::string_view first = nl == std::string::npos ? std::string_view(head) : std::string_view(head).substr(0, nl);
    // The first line's hash follows a renamed file; device and inode tell apart two files
    // whose first lines are the same (copies, identical headers).
    char buf[96];
    snprintf(buf, sizeof buf, "fp:%016llx:%llx:%llx", static_cast<unsigned long long>(fnv1a(first)),
             static_cast<unsigned long long>(f.dev), static_cast<unsigned long long>(f.ino));
    f.identity = buf;
    f.source->identity = f.identity;
    uint64_t start = 0;
    if (auto cp = host_->checkpoints().get(f.identity)) {
      struct stat st{};
      ::fstat(f.fd, &st);
      start = cp->offset <= static_cast<uint64_t>(st.st_size) ? cp->offset : 0;
      spdlog::info("input {}: {} resumes at offset {}", name_, f.path, start);
    } else if (start_at_end_[&f]) {
      struct stat st{};
      ::fstat(f.fd, &st);
      start = static_cast<uint64_t>(st.st_size);
      // Start at a line boundary: the end of the last complete line.
      std::string tail(std::min<uint64_t>(start, 64 * 1024), '\0');
      ssize_t r = ::pread(f.fd, tail.data(), tail.size(), static_cast<off_t>(start - tail.size()));
      if (r > 0) {
        size_t last_nl = std::string_view(tail.data(), static_cast<size_t>(r)).rfind('\n');
        if (last_nl != std::string::npos) start = start - tail.size() + last_nl + 1;
      }
    }
    start_at_end_.erase(&f);
    f.offset = start;
    f.reader->reset(start);
    f.tracker = std::make_shared<OffsetTracker>(start);
    return true;
  }

  bool read_file(TrackedFile& f) {
    if (f.identity.empty() && !identify(f)) return false;
    struct stat st{};
    if (::fstat(f.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) < f.offset) {
      // Truncated in place (copytruncate or a reset): start over from the beginning.
      spdlog::info("input {}: {} was truncated; reading it again from the start", name_, f.path);
      f.offset = 0;
      f.reader->reset(0);
      f.tracker->reset(0);
    }
    if (!host_->acquire(opts_.read_size)) return false;
    auto batch = std::make_unique<RecordBatch>();
    batch->reserve(opts_.read_size + 4096);
    batch->source = f.source;
    batch->observed = now_timestamp();
    batch->budget = opts_.read_size;
    BatchSink sink(batch.get());

    // Read into a padded buffer so simdjson can parse records in place downstream.
    buf_.resize(opts_.read_size + simdjson::SIMDJSON_PADDING);
    ssize_t n = ::pread(f.fd, buf_.data(), opts_.read_size, static_cast<off_t>(f.offset));
    bool progressed = n > 0;
    if (n > 0) {
      f.reader->feed(std::string_view(buf_.data(), static_cast<size_t>(n)), f.offset, sink);
      f.offset += static_cast<uint64_t>(n);
      *bytes_read_ += static_cast<uint64_t>(n);
      f.last_data = Clock::now();
    } else if (n < 0 && !f.warned_unreadable) {
      f.warned_unreadable = true;
      spdlog::warn("input {}: cannot read {}: {}", name_, f.path, std::strerror(errno));
    } else if (Clock::now() - f.last_data >= opts_.multiline_flush) {
      // Idle: a held multi-line entry has no more lines coming.
      f.reader->flush_held(sink);
    }
    *truncated_ += f.reader->lines_truncated() - truncated_seen_[&f];
    truncated_seen_[&f] = f.reader->lines_truncated();
    submit(f, std::move(batch));
    return progressed;
  }

  void submit(TrackedFile& f, std::unique_ptr<RecordBatch> batch) {
    if (batch->records.empty()) {
      host_->release(batch->budget);
      return;
    }
    *lines_read_ += batch->records.size();
    uint64_t end = f.reader->safe_offset();
    uint64_t ticket = f.tracker->add(end);
    auto tracker = f.tracker;
    std::string identity = f.identity, path = f.path;
    CheckpointStore* store = &host_->checkpoints();
    batch->ack = std::make_shared<AckToken>([tracker, ticket, identity, path, store] {
      if (tracker->ack(ticket)) store->set(identity, Checkpoint{path, tracker->committed(), 0});
    });
    host_->submit(std::move(batch));
  }

  bool should_close(TrackedFile& f) {
    if (!f.rotated) return false;
    // Keep reading a rotated file until it is drained and quiet for rotate_wait.
    return Clock::now() - f.rotated_at >= opts_.rotate_wait && Clock::now() - f.last_data >= opts_.rotate_wait;
  }

  void finish_file(TrackedFile& f) {
    if (!host_->acquire(64 * 1024)) return;
    auto batch = std::make_unique<RecordBatch>();
    batch->source = f.source;
    batch->observed = now_timestamp();
    batch->budget = 64 * 1024;
    BatchSink sink(batch.get());
    f.reader->finish(sink);
    submit(f, std::move(batch));
    spdlog::info("input {}: closed rotated file {}", name_, f.path);
    truncated_seen_.erase(&f);
  }

  std::string name_;
  FileInputOptions opts_;
  InputHost* host_ = nullptr;
  std::map<std::pair<dev_t, ino_t>, std::unique_ptr<TrackedFile>> files_;
  std::map<const TrackedFile*, bool> start_at_end_;
  std::map<const TrackedFile*, uint64_t> truncated_seen_;
  std::set<std::string> warned_;
  std::string buf_;
  Metrics::Counter* lines_read_ = nullptr;
  Metrics::Counter* bytes_read_ = nullptr;
  Metrics::Counter* truncated_ = nullptr;
  std::atomic<int64_t>* files_watched_ = nullptr;
};

std::vector<std::string> format_names() {
  return Registry::instance().names(PluginKind::Format);
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Input,
    .name = "file",
    .summary = "Tails files matching glob patterns (Coder service logs, container logs)",
    .options =
        {
            {"paths", OptType::StringList, "", true, "glob patterns of files to read"},
            {"exclude", OptType::StringList, "[\"*.gz\", \"*.zip\", \"*.bz2\", \"*.xz\", \"*.zst\"]", false,
             "glob patterns (path or file name) of files to skip"},
            {"format", OptType::String, "auto", false,
             "line format: auto, slog_json, slog_human, cri, docker or raw"},
            {"read_from", OptType::Enum, "beginning", false,
             "where to start files present at the first start (later files always start at their beginning)",
             {"beginning", "end"}},
            {"max_line_size", OptType::Size, "1MiB", false,
             "longer lines are cut to this size; the rest is discarded and counted"},
            {"read_buffer", OptType::Size, "256KiB", false, "bytes read per call and per batch"},
            {"glob_interval", OptType::Duration, "1s", false, "how often the patterns are expanded for new files"},
            {"poll_interval", OptType::Duration, "250ms", false, "how often idle files are checked for new data"},
            {"multiline_flush", OptType::Duration, "1s", false,
             "a held multi-line entry is emitted after this long without new data"},
            {"rotate_wait", OptType::Duration, "5s", false,
             "how long a rotated (renamed or deleted) file is still read before it is closed"},
        },
    .make_input =
        [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Input> {
      FileInputOptions opts;
      opts.paths = o.list("paths");
      opts.exclude = o.list("exclude");
      opts.from_end = o.str("read_from") == "end";
      opts.format = Registry::instance().format(o.str("format", "auto"));
      opts.max_line = o.size("max_line_size", 1 << 20);
      opts.read_size = std::max<size_t>(4096, o.size("read_buffer", 256 * 1024));
      opts.glob_interval = o.duration("glob_interval", std::chrono::milliseconds(1000));
      opts.poll_interval = o.duration("poll_interval", std::chrono::milliseconds(250));
      opts.multiline_flush = o.duration("multiline_flush", std::chrono::milliseconds(1000));
      opts.rotate_wait = o.duration("rotate_wait", std::chrono::milliseconds(5000));
      return std::make_unique<FileInput>(ctx, std::move(opts));
    },
    .validate =
        [](const Options& o, const std::string& path, Diagnostics& diags) {
          std::string f = o.str("format", "auto");
          if (!Registry::instance().format(f)) {
            std::string all;
            for (const auto& n : format_names()) all += (all.empty() ? "" : ", ") + n;
            diags.error(o.line("format"), path + ".format", "unknown format '" + f + "'; available: " + all);
          }
          if (o.size("max_line_size", 1) < 64)
            diags.error(o.line("max_line_size"), path + ".max_line_size", "must be at least 64 bytes");
        },
});

}  // namespace
}  // namespace auditrelay
