// Input `file`: tails files matching glob patterns (Coder service logs, container logs).
//
// Identity: a file is known by a fingerprint of its first bytes (plugins/inputs/file/
// fingerprint.h), with device and inode as a hint, so a renamed file keeps its position, a
// reused inode with other content is a new file, and two files with the same first bytes are
// still two files. Positions are saved per identity, only once every output acknowledged the
// batches before them, and always at a line boundary.
//
// Rotation: a renamed or deleted file is read to its end and closed after `rotate_wait` without
// data. A truncated file starts over from 0; when the truncation was copytruncate and the copy
// matches the patterns, the copy is read from where the original was, so the lines written
// between the last read and the truncation are not lost. A copy seen before the truncation is
// held (not read) until then. A file rotated while the agent was stopped is found by its
// fingerprint (or, outside the patterns, by its inode in its directory) and finished first.
//
// Change detection: inotify on the files' directories; a full check every `glob_interval`
// catches what events miss; without inotify every file is polled every `poll_interval`.
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "core/event/format.h"
#include "core/event/line_reader.h"
#include "core/metrics/metrics.h"
#include "core/pipeline/ack.h"
#include "core/pipeline/offset_tracker.h"
#include "core/plugin/input.h"
#include "core/registry/registry.h"
#include "core/server/health_board.h"
#include "plugins/inputs/file/change_watcher.h"
#include "plugins/inputs/file/fingerprint.h"
#include "plugins/inputs/file/kubernetes_path.h"

namespace auditrelay {
namespace {

using Clock = std::chrono::steady_clock;
using InodeKey = std::pair<dev_t, ino_t>;
constexpr uint64_t kCopySlack = 1 << 20;
constexpr auto kCopySettle = std::chrono::milliseconds(500);
constexpr auto kSafetyInterval = std::chrono::seconds(10);

struct FileInputOptions {
  std::vector<std::string> paths, exclude;
  std::vector<std::string> include_namespaces, exclude_namespaces, include_pods, exclude_pods;
  bool from_end = false;
  bool inotify = true;
  bool unready_when_unreadable = true;
  const Format* format = nullptr;
  size_t max_line = 1 << 20;
  size_t read_size = 256 * 1024;
  size_t fingerprint_bytes = 1024;
  size_t max_open_files = 1024;
  std::chrono::milliseconds glob_interval{1000}, poll_interval{250}, multiline_flush{1000},
      rotate_wait{5000};
};

bool matches_any(const std::vector<std::string>& patterns, const std::string& s) {
  for (const auto& p : patterns)
    if (fnmatch(p.c_str(), s.c_str(), 0) == 0) return true;
  return false;
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

struct TrackedFile {
  std::string path;       // where it was found
  std::string real_path;  // the symlink's target (container logs), for change events
  int fd = -1;            // -1 while closed by max_open_files
  InodeKey inode{};
  std::optional<Fingerprint> fp;  // set once identified
  std::string key;                // checkpoint key, set once identified
  uint64_t offset = 0;            // next byte to read
  std::unique_ptr<LineReader> reader;
  std::shared_ptr<OffsetTracker> tracker;
  std::shared_ptr<std::atomic<bool>> retired = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<SourceInfo> source;
  Clock::time_point last_data = Clock::now();
  uint64_t held_at = UINT64_MAX;  // the offset the framer held at the last read, and since when
  Clock::time_point held_since{};
  bool rotated = false;      // the path now names another file, or none
  bool drain_first = false;  // rotated while the agent was stopped: finish before its successor
  Clock::time_point rotated_at{};
  bool held_copy = false;  // a copytruncate snapshot of `copy_of`, read only once that is truncated
  InodeKey copy_of{};
  bool truncated = false;  // detected; handled before the next read
  bool start_at_end = false;
  uint64_t undecided_size = UINT64_MAX;  // a possible copy in progress: its size when last seen
  Clock::time_point undecided_since{};
  bool warned_unreadable = false;
  uint64_t size_seen = 0;  // the size at the last read, for the read lag
  uint64_t truncated_seen = 0;

  ~TrackedFile() {
    if (fd >= 0) ::close(fd);
  }
  void close_fd() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

struct SavedPosition {
  std::string key;
  ParsedFileKey id;
  Checkpoint cp;
};

class FileInput final : public Input {
 public:
  FileInput(const PluginContext& ctx, FileInputOptions opts)
      : name_(ctx.name), opts_(std::move(opts)), health_(ctx.health) {}

  void run(InputHost& host) override {
    host_ = &host;
    auto label = "input=\"" + name_ + "\"";
    lines_read_ = &host.metrics().counter("auditrelay_lines_read_total", label);
    bytes_read_ = &host.metrics().counter("auditrelay_bytes_read_total", label);
    truncated_ = &host.metrics().counter("auditrelay_lines_truncated_total", label);
    rotations_ = &host.metrics().counter("auditrelay_file_rotations_total", label);
    files_watched_ = &host.metrics().gauge("auditrelay_files_watched", label);
    files_open_ = &host.metrics().gauge("auditrelay_files_open", label);
    read_lag_ = &host.metrics().gauge("auditrelay_read_lag_bytes", label);
    waiting_for_memory_ = &host.metrics().gauge("auditrelay_input_waiting_for_memory", label);
    start_watcher();
    load_saved_positions();

    scan();
    find_rotated_while_stopped();
    initial_scan_done_ = true;
    auto next_full = Clock::now();
    auto next_glob = Clock::now() + opts_.glob_interval;
    std::set<TrackedFile*> dirty;
    while (!host.stopping().load()) {
      bool full = Clock::now() >= next_full;
      if (need_scan_ || full || Clock::now() >= next_glob) {
        // Known paths are re-checked only when names changed or in a full pass; in between, the
        // patterns are expanded for new files only (what keeps 1,000 idle files cheap).
        scan(need_scan_ || full || !events_cover_all());
        need_scan_ = false;
        next_glob = Clock::now() + opts_.glob_interval;
      }
      if (full) {
        check_all();
        // With inotify on every directory the full pass is only a safety net; otherwise it is
        // how changes are found.
        next_full = Clock::now() + (events_cover_all()  ? kSafetyInterval
                                    : watcher_.active() ? opts_.glob_interval
                                                        : opts_.poll_interval);
      }
      bool progressed = read_pass(full, dirty);
      close_finished();
      enforce_open_limit();
      files_watched_->store(static_cast<int64_t>(files_.size()));
      update_open_and_lag();
      if (progressed) continue;
      auto until = std::min(next_full, next_glob);
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      wait = std::clamp(wait, std::chrono::milliseconds(1),
                        std::chrono::milliseconds(250));  // stay responsive to stop
      if (watcher_.active()) {
        auto changes = watcher_.wait(wait);
        need_scan_ |= changes.names_changed;
        for (const auto& p : changes.modified)
          if (auto it = by_path_.find(p); it != by_path_.end()) dirty.insert(it->second);
      } else {
        std::this_thread::sleep_for(wait);
      }
    }
  }

 private:
  // ---- setup ---------------------------------------------------------------------------

  void start_watcher() {
    if (!opts_.inotify) return;
    std::string err;
    if (!watcher_.start(err)) {
      spdlog::warn("input {}: inotify unavailable ({}); polling every {} ms", name_, err,
                   opts_.poll_interval.count());
      return;
    }
    if (auto w = inotify_limits_warning(read_inotify_limits()); !w.empty())
      spdlog::warn("input {}: {}", name_, w);
  }

  void load_saved_positions() {
    for (const auto& [key, cp] : host_->checkpoints().all())
      if (auto id = parse_file_checkpoint_key(name_, key))
        saved_.push_back(SavedPosition{key, *id, cp});
    // read_from: end applies only to the very first start; after that nothing may be skipped.
    first_start_ = saved_.empty();
  }

  // ---- discovery -----------------------------------------------------------------------

  bool excluded(const std::string& path) const {
    std::string base = path.substr(path.rfind('/') + 1);
    if (matches_any(opts_.exclude, path) || matches_any(opts_.exclude, base)) return true;
    KubernetesPath k = kubernetes_from_path(path);
    if (!k.found()) return false;  // the namespace and pod filters only concern container logs
    if (!opts_.include_namespaces.empty() &&
        !matches_any(opts_.include_namespaces, k.namespace_name))
      return true;
    if (!opts_.include_pods.empty() && !matches_any(opts_.include_pods, k.pod)) return true;
    return matches_any(opts_.exclude_namespaces, k.namespace_name) ||
           matches_any(opts_.exclude_pods, k.pod);
  }

  bool events_cover_all() const { return watcher_.active() && watch_failed_.empty(); }

  void scan(bool thorough = true) {
    std::set<std::string> found;
    for (const auto& pattern : opts_.paths) {
      glob_t g{};
      if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) found.insert(g.gl_pathv[i]);
      globfree(&g);
      // Watch the pattern's directory too, so new files are seen at once.
      watch(dir_of(pattern));
    }
    for (auto it = unreadable_.begin(); it != unreadable_.end();) {
      if (found.count(*it)) {
        ++it;
        continue;
      }
      readable_again(*it);  // gone: nothing left to read there
      it = unreadable_.erase(it);
    }
    present_.clear();
    std::map<InodeKey, uint64_t> still_present;
    size_t open_now = open_count();
    for (const auto& path : found) {
      if (!thorough) {
        auto k = by_path_.find(path);
        if (k != by_path_.end() && k->second && !k->second->rotated && k->second->path == path) {
          present_.emplace(k->second->inode, path);
          continue;
        }
      }
      if (excluded(path)) continue;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) continue;
      if (!S_ISREG(st.st_mode)) {
        if (warned_.insert(path).second)
          spdlog::warn("input {}: {} is not a regular file; skipped", name_, path);
        continue;
      }
      InodeKey ino{st.st_dev, st.st_ino};
      present_.emplace(ino, path);
      // A rotated file this run already finished: opened again only when it changes.
      if (auto c = closed_size_.find(ino);
          c != closed_size_.end() && c->second == static_cast<uint64_t>(st.st_size))
        continue;
      if (auto it = files_.find(ino); it != files_.end()) {
        // Known file at a new name (renamed into the pattern): a closed one is re-opened there.
        if (it->second->fd < 0 && it->second->path != path) {
          it->second->path = path;
          by_path_[path] = it->second.get();
        }
        continue;
      }
      // Descriptors stay within max_open_files even while many files appear at once: idle ones
      // are closed first, and a file that still does not fit waits for a later scan.
      if (open_now >= opts_.max_open_files) {
        open_now -= close_idle(open_now + 1 - opts_.max_open_files);
        if (open_now >= opts_.max_open_files) {
          if (!initial_scan_done_) deferred_initial_.insert(path);
          need_scan_ = true;
          continue;
        }
      }
      if (open_file(path, st)) ++open_now;
    }
    for (auto& [ino, size] : closed_size_)
      if (present_.count(ino)) still_present.emplace(ino, size);
    closed_size_ = std::move(still_present);
    if (thorough) mark_rotated();
  }

  // Files whose path now names another file, or nothing.
  void mark_rotated() {
    for (auto& [ino, f] : files_) {
      if (f->rotated || f->held_copy) continue;
      struct stat st {};
      if (::stat(f->path.c_str(), &st) == 0 && InodeKey{st.st_dev, st.st_ino} == ino) continue;
      if (f->fd < 0 && !reopen_elsewhere(*f)) {
        spdlog::warn(
            "input {}: {} was rotated while closed by max_open_files and cannot be found; lines "
            "after "
            "offset {} may be missing",
            name_, f->path, f->offset);
        f->retired->store(true);
        continue;
      }
      f->rotated = true;
      f->rotated_at = Clock::now();
      ++*rotations_;
      spdlog::info("input {}: {} was rotated; reading the old file to its end", name_, f->path);
    }
  }

  // A closed file that was renamed: found by its inode in the directory it was in.
  bool reopen_elsewhere(TrackedFile& f) {
    auto found = find_by_inode(dir_of(f.path), f.inode);
    if (!found) return false;
    f.path = *found;
    by_path_[f.path] = &f;
    return reopen(f);
  }

  std::optional<std::string> find_by_inode(const std::string& dir, InodeKey ino) const {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return std::nullopt;
    std::optional<std::string> out;
    while (dirent* e = ::readdir(d)) {
      if (e->d_ino != ino.second) continue;
      std::string p = dir + "/" + e->d_name;
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == ino.first) {
        out = p;
        break;
      }
    }
    ::closedir(d);
    return out;
  }

  // A file rotated while the agent was stopped and now outside the patterns (coderd.log →
  // coderd.log.1 with `paths: [coderd.log]`): found by inode next to where it was.
  void find_rotated_while_stopped() {
    for (const auto& s : saved_) {
      InodeKey ino{s.id.dev, s.id.ino};
      if (present_.count(ino) || files_.count(ino)) continue;
      auto found = find_by_inode(dir_of(s.cp.path), ino);
      if (!found || excluded(*found)) continue;
      struct stat st {};
      if (::stat(found->c_str(), &st) != 0) continue;
      open_file(*found, st);
    }
  }

  void watch(const std::string& dir) {
    if (!watcher_.active() || watch_failed_.count(dir)) return;
    std::string err;
    if (!watcher_.watch_directory(dir, err) && ::access(dir.c_str(), F_OK) == 0) {
      watch_failed_.insert(dir);
      spdlog::warn("input {}: cannot watch {} ({}); its files are polled every {} ms", name_, dir,
                   err, opts_.glob_interval.count());
    }
  }

  bool open_file(const std::string& path, const struct stat& st) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::string why = std::strerror(errno);
      if (warned_.insert(path).second)
        spdlog::warn("input {}: cannot open {}: {}; skipped", name_, path, why);
      if (unreadable_.insert(path).second && health_ && opts_.unready_when_unreadable)
        health_->fail("input " + name_ + " (" + path + ")", "cannot open: " + why);
      return false;
    }
    if (unreadable_.erase(path)) readable_again(path);
    auto f = std::make_unique<TrackedFile>();
    f->path = path;
    char real[PATH_MAX];
    f->real_path = ::realpath(path.c_str(), real) ? real : path;
    f->fd = fd;
    f->inode = {st.st_dev, st.st_ino};
    f->reader = std::make_unique<LineReader>(opts_.format->make_framer(), opts_.max_line);
    f->source = std::make_shared<SourceInfo>();
    f->source->input = name_;
    f->source->type = "file";
    f->source->path = path;
    f->source->host = host_->host_name();
    KubernetesPath k = kubernetes_from_path(path);
    if (!k.found()) k = kubernetes_from_path(f->real_path);
    f->source->k8s_namespace = k.namespace_name;
    f->source->k8s_pod = k.pod;
    f->source->k8s_container = k.container;
    // Present at the very first start (also when max_open_files deferred its opening).
    f->start_at_end =
        first_start_ && opts_.from_end && (!initial_scan_done_ || deferred_initial_.erase(path));
    watch(dir_of(path));
    if (f->real_path != path) watch(dir_of(f->real_path));
    by_path_[f->path] = f.get();
    by_path_[f->real_path] = f.get();
    spdlog::info("input {}: watching {}", name_, path);
    closed_size_.erase(f->inode);
    files_.emplace(f->inode, std::move(f));
    return true;
  }

  void readable_again(const std::string& path) {
    warned_.erase(path);
    if (health_) health_->ok("input " + name_ + " (" + path + ")");
  }

  // ---- identity ------------------------------------------------------------------------

  uint64_t size_of(int fd) const {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }

  bool looks_truncated(TrackedFile& t) {
    if (t.truncated) return true;
    if (t.fd < 0 || !t.fp) return false;
    return size_of(t.fd) < t.offset || !still_matches(t.fd, *t.fp);
  }

  void begin_at(TrackedFile& f, uint64_t start) {
    f.offset = start;
    f.reader->reset(start);
    f.tracker = std::make_shared<OffsetTracker>(start);
  }

  void set_identity(TrackedFile& f, const Fingerprint& fp, bool distinct) {
    f.fp = fp;
    f.key = file_checkpoint_key(name_, fp, f.inode.first, f.inode.second);
    char buf[64];
    std::snprintf(buf, sizeof buf, "fp:%016llx:%u", static_cast<unsigned long long>(fp.hash),
                  fp.length);
    // Derived event ids come from the identity: a copy shares the original's, so a line read
    // from either gets the same id; a distinct file with the same first bytes adds its inode.
    f.source->identity = buf;
    if (distinct)
      f.source->identity += ":" + std::to_string(static_cast<unsigned long long>(f.inode.second));
  }

  // Decides who the file is and where to start; false while it cannot be told yet (or it is
  // a held copy).
  bool identify(TrackedFile& f) {
    if (f.held_copy) return false;
    uint64_t size = size_of(f.fd);
    // 1. The same content as a file being read: a copy (copytruncate) or a distinct file that
    //    happens to start with the same bytes.
    bool distinct = false;
    for (auto& [ino, t] : files_) {
      if (t.get() == &f || !t->fp || t->held_copy) continue;
      if (hash_prefix(f.fd, t->fp->length) != t->fp->hash) {
        // Shorter than the other file's fingerprint but the same bytes so far: a copy still being
        // written (copytruncate's cp) looks like this for a moment, and so does a new file that
        // starts with the same lines. Decided once its size settles.
        if (size < t->fp->length && t->fd >= 0 &&
            is_prefix_copy(f.fd, size, t->fd, size_of(t->fd)) && !settled(f, size))
          return false;
        continue;
      }
      // Compared before the truncation test: copytruncate may truncate the original between
      // the two, and a copy compared with an already emptied original is no prefix of it. In
      // that order a truncation in between is seen by the test that follows.
      bool prefix = t->fd >= 0 && is_prefix_copy(f.fd, size, t->fd, size_of(t->fd));
      if (looks_truncated(*t)) {
        t->truncated = true;
        set_identity(f, *t->fp, false);
        begin_at(f, t->reader->safe_offset());
        mark_copy_rotated(f, *t);
        return true;
      }
      // A snapshot taken for copytruncate holds about as much as was read from the original; a
      // new file that merely starts with the same lines is far shorter. A short one that is still
      // growing may be a copy in progress: it is looked at again once its size settles.
      if (prefix && size + kCopySlack < t->offset) {
        if (!settled(f, size)) return false;
        prefix = false;
      }
      if (prefix) {
        f.held_copy = true;
        f.copy_of = ino;
        spdlog::info("input {}: {} is a copy of {}; held until that file is truncated", name_,
                     f.path, t->path);
        return false;
      }
      distinct = true;
    }
    // 2. A saved position: the same file (maybe renamed), or its content moved while stopped.
    if (claim_saved(f, size)) return true;
    // 3. A new file.
    // Within the size the checks above saw: a copy that grew since then was not compared
    // with the other files in its new state (it is looked at again in the next pass).
    auto fp = take_fingerprint(f.fd, opts_.fingerprint_bytes, size);
    if (!fp) return false;
    set_identity(f, *fp, distinct);
    uint64_t start = 0;
    if (f.start_at_end) start = last_line_end(f.fd, size);
    begin_at(f, start);
    return true;
  }

  // True once a possible copy in progress kept its size for kCopySettle.
  static bool settled(TrackedFile& f, uint64_t size) {
    auto now = Clock::now();
    if (size != f.undecided_size) {
      f.undecided_size = size;
      f.undecided_since = now;
    }
    return now - f.undecided_since >= kCopySettle;
  }

  void mark_copy_rotated(TrackedFile& copy, const TrackedFile& original) {
    copy.rotated = true;
    copy.rotated_at = Clock::now();
    spdlog::info("input {}: {} was truncated; reading its copy {} from offset {}", name_,
                 original.path, copy.path, copy.offset);
  }

  std::optional<uint64_t> claim_saved(TrackedFile& f, uint64_t size) {
    auto pick = saved_.end();
    for (auto it = saved_.begin(); it != saved_.end(); ++it) {
      if (hash_prefix(f.fd, it->id.fp.length) != it->id.fp.hash) continue;
      if (InodeKey{it->id.dev, it->id.ino} == f.inode) {
        pick = it;
        break;
      }
      // Content match under another inode: only when that inode no longer holds this content.
      if (pick == saved_.end() && !inode_still_holds(*it)) pick = it;
    }
    if (pick == saved_.end()) return std::nullopt;
    SavedPosition s = *pick;
    saved_.erase(pick);
    set_identity(f, s.id.fp, false);
    if (s.key != f.key) host_->checkpoints().erase(s.key);
    uint64_t start = s.cp.offset <= size ? s.cp.offset : 0;
    begin_at(f, start);
    if (s.cp.path != f.path) {
      // Rotated while stopped: finish it before its successor.
      f.rotated = f.drain_first = true;
      f.rotated_at = Clock::now();
      spdlog::info("input {}: {} (was {}) resumes at offset {} and is read to its end first", name_,
                   f.path, s.cp.path, start);
    } else {
      spdlog::info("input {}: {} resumes at offset {}", name_, f.path, start);
    }
    return start;
  }

  bool inode_still_holds(const SavedPosition& s) const {
    auto it = present_.find(InodeKey{s.id.dev, s.id.ino});
    if (it == present_.end()) return false;
    int fd = ::open(it->second.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool holds = hash_prefix(fd, s.id.fp.length) == s.id.fp.hash;
    ::close(fd);
    return holds;
  }

  static uint64_t last_line_end(int fd, uint64_t size) {
    std::string tail(std::min<uint64_t>(size, 64 * 1024), '\0');
    ssize_t r = ::pread(fd, tail.data(), tail.size(), static_cast<off_t>(size - tail.size()));
    if (r <= 0) return size;
    size_t nl = std::string_view(tail.data(), static_cast<size_t>(r)).rfind('\n');
    return nl == std::string::npos ? size : size - tail.size() + nl + 1;
  }

  // ---- reading -------------------------------------------------------------------------

  // Checks files whose fd is closed (max_open_files) and the heads of open ones (a truncation
  // followed by more writes than were read leaves the size above the offset).
  void check_all() {
    for (auto& [ino, f] : files_) {
      if (f->fd < 0) {
        struct stat st {};
        if (::stat(f->path.c_str(), &st) == 0 && InodeKey{st.st_dev, st.st_ino} == ino &&
            static_cast<uint64_t>(st.st_size) != f->offset)
          reopen(*f);
      } else if (f->fp && !f->held_copy && !still_matches(f->fd, *f->fp)) {
        f->truncated = true;
      }
    }
  }

  bool reopen(TrackedFile& f) {
    int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || InodeKey{st.st_dev, st.st_ino} != f.inode) {
      ::close(fd);
      return false;
    }
    f.fd = fd;
    f.last_data = Clock::now();
    return true;
  }

  // New files are identified before any is read, so one rotated while the agent was stopped is
  // known as such (and drained first) before its successor's first read. Files whose inode has
  // a saved position go first: they claim it before a copy with the same content could.
  // Identified files are marked dirty: their first read is still to come.
  void identify_new_files(std::set<TrackedFile*>& dirty) {
    for (int round = 0; round < 2; ++round)
      for (auto& [key, f] : files_) {
        if (f->fp || f->held_copy || f->fd < 0) continue;
        InodeKey ino = key;  // a structured binding cannot be captured before C++20 in clang 14
        bool has_saved = std::any_of(saved_.begin(), saved_.end(), [&](const SavedPosition& s) {
          return InodeKey{s.id.dev, s.id.ino} == ino;
        });
        if ((round == 0) == has_saved && identify(*f)) dirty.insert(f.get());
      }
  }

  bool read_pass(bool full, std::set<TrackedFile*>& dirty) {
    identify_new_files(dirty);
    // Rotated files first; while one found at start still has data, its successor waits.
    std::vector<TrackedFile*> order;
    for (auto& [ino, f] : files_)
      if (f->rotated) order.push_back(f.get());
    for (auto& [ino, f] : files_)
      if (!f->rotated) order.push_back(f.get());
    bool progressed = false, draining = false;
    std::set<TrackedFile*> still_dirty;
    for (TrackedFile* f : order) {
      if (host_->stopping().load()) break;
      if (f->fd < 0 && dirty.count(f)) {
        if (open_count() >= opts_.max_open_files) close_idle(1);
        reopen(*f);
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

  void handle_truncation(TrackedFile& f) {
    if (!f.fp) return;
    f.truncated = true;
    // copytruncate copies first: look for the copy now, before this file starts over.
    scan();
    for (auto& [ino, c] : files_)
      if (!c->fp && !c->held_copy && c->fd >= 0 && c.get() != &f) identify(*c);
    bool copied = false;
    for (auto& [ino, c] : files_) {
      if (!c->held_copy || c->copy_of != f.inode) continue;
      c->held_copy = false;
      set_identity(*c, *f.fp, false);
      begin_at(*c, f.reader->safe_offset());
      mark_copy_rotated(*c, f);
      copied = true;
    }
    spdlog::info("input {}: {} was truncated; reading it again from the start", name_, f.path);
    ++*rotations_;
    f.truncated = false;
    f.fp.reset();
    f.key.clear();
    f.start_at_end = false;
    f.offset = 0;
    if (copied) {
      // The copy is read from the safe offset, so what this file's framer still holds (entries,
      // partials, records waiting for the other stream) comes from the copy: drop it here.
      f.reader = std::make_unique<LineReader>(opts_.format->make_framer(), opts_.max_line);
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
  void flush_held_too_long(TrackedFile& f, RecordSink& sink) {
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

  // Lines cut at max_line_size lose their rest: say so in the log, at most once a minute (with
  // how many since the last warning), besides auditrelay_lines_truncated_total.
  void warn_cut_lines(const TrackedFile& f, uint64_t cut) {
    cut_unwarned_ += cut;
    auto now = Clock::now();
    if (last_cut_warning_ != Clock::time_point{} && now - last_cut_warning_ < std::chrono::minutes(1)) return;
    spdlog::warn("input {}: {} line(s) longer than max_line_size ({} bytes) cut there, the rest of each "
                 "discarded (latest in {}); auditrelay_lines_truncated_total counts them",
                 name_, cut_unwarned_, opts_.max_line, f.path);
    last_cut_warning_ = now;
    cut_unwarned_ = 0;
  }

  bool read_file(TrackedFile& f) {
    // Shrunk, or rewritten from the start (a truncation followed by more writes than were read
    // leaves the size above the offset; only the first bytes tell).
    f.size_seen = size_of(f.fd);
    if (f.truncated || (f.fp && (f.size_seen < f.offset || !still_matches(f.fd, *f.fp)))) {
      if (!f.fp)
        f.truncated = false;
      else
        handle_truncation(f);
    }
    if (!f.fp && !identify(f)) return false;
    f.start_at_end = false;
    if (!acquire(opts_.read_size)) return false;
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
      f.reader->flush_held(sink);  // idle: a held multi-line entry has no more lines coming
    }
    flush_held_too_long(f, sink);
    if (uint64_t cut = f.reader->lines_truncated() - f.truncated_seen; cut > 0) {
      *truncated_ += cut;
      warn_cut_lines(f, cut);
    }
    f.truncated_seen = f.reader->lines_truncated();
    submit(f, std::move(batch));
    return progressed;
  }

  // Memory budget for a batch (pipeline.max_in_flight); waits while the outputs hold it all.
  bool acquire(size_t bytes) {
    waiting_for_memory_->store(1);
    bool ok = host_->acquire(bytes);
    waiting_for_memory_->store(0);
    return ok;
  }

  void submit(TrackedFile& f, std::unique_ptr<RecordBatch> batch) {
    if (batch->records.empty()) {
      host_->release(batch->budget);
      return;
    }
    *lines_read_ += batch->records.size();
    uint64_t end = f.reader->safe_offset();
    spdlog::debug("input {}: {} record(s) read from {} (up to offset {})", name_,
                  batch->records.size(), f.path, end);
    uint64_t ticket = f.tracker->add(end);
    CheckpointStore* store = &host_->checkpoints();
    batch->ack = std::make_shared<AckToken>(
        [tracker = f.tracker, ticket, key = f.key, path = f.path, store, retired = f.retired] {
          tracker->ack(ticket, [&](uint64_t committed) {
            if (!retired->load()) store->set(key, Checkpoint{path, committed, 0});
          });
        });
    host_->submit(std::move(batch));
  }

  // ---- closing -------------------------------------------------------------------------

  void close_finished() {
    for (auto it = files_.begin(); it != files_.end();) {
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
      struct stat st {};
      if (f.fd >= 0 && ::fstat(f.fd, &st) == 0 && !f.key.empty()) {
        if (st.st_nlink == 0) {
          // Deleted: nothing can read it again, so its position goes (a reused inode starts fresh).
          f.retired->store(true);
          host_->checkpoints().erase(f.key);
        } else if (f.fp) {
          // Still on disk (renamed within the patterns): remembered, so it is not read again.
          closed_size_[f.inode] = static_cast<uint64_t>(st.st_size);
          saved_.push_back(SavedPosition{f.key, ParsedFileKey{*f.fp, f.inode.first, f.inode.second},
                                         Checkpoint{f.path, f.offset, 0}});
        }
      }
      std::erase_if(by_path_, [&f](const auto& kv) { return kv.second == &f; });
      it = files_.erase(it);
    }
  }

  void finish_file(TrackedFile& f) {
    if (f.fp && acquire(64 * 1024)) {
      auto batch = std::make_unique<RecordBatch>();
      batch->source = f.source;
      batch->observed = now_timestamp();
      batch->budget = 64 * 1024;
      BatchSink sink(batch.get());
      f.reader->finish(sink);  // the final line without a newline, now that no more will come
      submit(f, std::move(batch));
    }
    spdlog::info("input {}: closed rotated file {}", name_, f.path);
  }

  // Open descriptors, and bytes written but not yet read (as of each file's last read).
  void update_open_and_lag() {
    int64_t open = 0, lag = 0;
    for (const auto& [ino, f] : files_) {
      open += f->fd >= 0;
      if (f->fp && f->size_seen > f->offset) lag += static_cast<int64_t>(f->size_seen - f->offset);
    }
    files_open_->store(open);
    read_lag_->store(lag);
  }

  size_t open_count() const {
    size_t n = 0;
    for (const auto& [ino, f] : files_) n += f->fd >= 0;
    return n;
  }

  // Least recently active files give up their descriptor first; rotated files and held copies
  // keep theirs (their path may no longer lead to them).
  void enforce_open_limit() {
    size_t open = open_count();
    if (open > opts_.max_open_files) close_idle(open - opts_.max_open_files);
  }

  // Closes up to n of the least recently active identified files; returns how many it closed.
  size_t close_idle(size_t n) {
    std::vector<TrackedFile*> candidates;
    for (auto& [ino, f] : files_)
      if (f->fd >= 0 && !f->rotated && !f->held_copy && f->fp) candidates.push_back(f.get());
    n = std::min(n, candidates.size());
    std::partial_sort(
        candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n), candidates.end(),
        [](const TrackedFile* a, const TrackedFile* b) { return a->last_data < b->last_data; });
    for (size_t i = 0; i < n; ++i) candidates[i]->close_fd();
    return n;
  }

  std::string name_;
  FileInputOptions opts_;
  InputHost* host_ = nullptr;
  ChangeWatcher watcher_;
  std::map<InodeKey, std::unique_ptr<TrackedFile>> files_;
  std::map<std::string, TrackedFile*> by_path_;
  std::map<InodeKey, std::string> present_;  // what the last scan found
  std::vector<SavedPosition> saved_;         // positions from the last run not yet claimed
  std::set<std::string> warned_, watch_failed_;
  std::set<std::string> unreadable_;  // matched files that could not be opened (readiness)
  HealthBoard* health_;
  std::set<std::string> deferred_initial_;  // present at the first start, opened later
  std::map<InodeKey, uint64_t>
      closed_size_;  // rotated files closed in this run that still match a pattern
  bool need_scan_ = false, first_start_ = false, initial_scan_done_ = false;
  std::string buf_;
  Metrics::Counter* lines_read_ = nullptr;
  Clock::time_point last_cut_warning_{};
  uint64_t cut_unwarned_ = 0;
  Metrics::Counter* bytes_read_ = nullptr;
  Metrics::Counter* truncated_ = nullptr;
  Metrics::Counter* rotations_ = nullptr;
  std::atomic<int64_t>* files_watched_ = nullptr;
  std::atomic<int64_t>* files_open_ = nullptr;
  std::atomic<int64_t>* read_lag_ = nullptr;
  std::atomic<int64_t>* waiting_for_memory_ = nullptr;
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
            {"exclude", OptType::StringList,
             "[\"*.gz\", \"*.zip\", \"*.bz2\", \"*.xz\", \"*.zst\"]", false,
             "glob patterns (path or file name) of files to skip; compressed rotations by default"},
            {"format", OptType::String, "auto", false,
             "line format: auto, slog_json, slog_human, cri, docker or raw"},
            {"read_from",
             OptType::Enum,
             "beginning",
             false,
             "where to start files present at the very first start (no saved positions yet); files "
             "found later "
             "always start at their beginning",
             {"beginning", "end"}},
            {"max_line_size", OptType::Size, "1MiB", false,
             "longer lines are cut to this size; the rest is discarded and counted"},
            {"read_buffer", OptType::Size, "256KiB", false, "bytes read per call and per batch"},
            {"fingerprint_size", OptType::Size, "1KiB", false,
             "bytes at the start of a file that identify it (fewer, whole lines, while the file is "
             "shorter)"},
            {"max_open_files", OptType::Int, "1024", false,
             "open descriptors at most; the least recently active files are closed first and "
             "re-opened when "
             "they change"},
            {"include_namespaces", OptType::StringList, "", false,
             "container logs: only these Kubernetes namespaces (glob patterns)"},
            {"exclude_namespaces", OptType::StringList, "", false,
             "container logs: skip these Kubernetes namespaces (glob patterns)"},
            {"include_pods", OptType::StringList, "", false,
             "container logs: only these pods (glob patterns)"},
            {"exclude_pods", OptType::StringList, "", false,
             "container logs: skip these pods (glob patterns)"},
            {"unready_when_unreadable", OptType::Bool, "true", false,
             "/readyz fails while a file matching paths cannot be opened (permissions)"},
            {"inotify", OptType::Bool, "true", false,
             "use inotify for change detection (falls back to polling when unavailable)"},
            {"glob_interval", OptType::Duration, "1s", false,
             "how often the patterns are expanded for new files (and every file checked when "
             "inotify is on)"},
            {"poll_interval", OptType::Duration, "250ms", false,
             "how often files are checked for new data when inotify is off or unavailable"},
            {"multiline_flush", OptType::Duration, "1s", false,
             "a held multi-line entry is emitted after this long without new data"},
            {"rotate_wait", OptType::Duration, "5s", false,
             "how long a rotated (renamed or deleted) file is still read after its last data "
             "before it is closed"},
        },
    .make_input = [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Input> {
      FileInputOptions opts;
      opts.paths = o.list("paths");
      opts.exclude = o.list("exclude");
      opts.include_namespaces = o.list("include_namespaces");
      opts.exclude_namespaces = o.list("exclude_namespaces");
      opts.include_pods = o.list("include_pods");
      opts.exclude_pods = o.list("exclude_pods");
      opts.from_end = o.str("read_from") == "end";
      opts.inotify = o.boolean("inotify", true);
      opts.unready_when_unreadable = o.boolean("unready_when_unreadable", true);
      opts.format = Registry::instance().format(o.str("format", "auto"));
      opts.max_line = o.size("max_line_size", 1 << 20);
      opts.read_size = std::max<size_t>(4096, o.size("read_buffer", 256 * 1024));
      opts.fingerprint_bytes = o.size("fingerprint_size", 1024);
      opts.max_open_files = static_cast<size_t>(o.integer("max_open_files", 1024));
      opts.glob_interval = o.duration("glob_interval", std::chrono::milliseconds(1000));
      opts.poll_interval = o.duration("poll_interval", std::chrono::milliseconds(250));
      opts.multiline_flush = o.duration("multiline_flush", std::chrono::milliseconds(1000));
      opts.rotate_wait = o.duration("rotate_wait", std::chrono::milliseconds(5000));
      return std::make_unique<FileInput>(ctx, std::move(opts));
    },
    .validate =
        [](const Options& o, const std::string& path, Diagnostics& diags, Schema) {
          std::string f = o.str("format", "auto");
          if (!Registry::instance().format(f)) {
            std::string all;
            for (const auto& n : format_names()) all += (all.empty() ? "" : ", ") + n;
            diags.error(o.line("format"), path + ".format",
                        "unknown format '" + f + "'; available: " + all);
          }
          if (o.size("max_line_size", 1) < 64)
            diags.error(o.line("max_line_size"), path + ".max_line_size",
                        "must be at least 64 bytes");
          auto fp = o.size("fingerprint_size", 1024);
          if (fp < 16 || fp > 65536)
            diags.error(o.line("fingerprint_size"), path + ".fingerprint_size",
                        "must be between 16B and 64KiB");
          if (o.integer("max_open_files", 1024) < 1)
            diags.error(o.line("max_open_files"), path + ".max_open_files", "must be at least 1");
        },
    .metrics =
        {
            {"auditrelay_lines_read_total", MetricType::Counter, "input",
             "records read: a human entry with its block, or a container line joined from its "
             "partials, counts once"},
            {"auditrelay_bytes_read_total", MetricType::Counter, "input", "bytes read"},
            {"auditrelay_lines_truncated_total", MetricType::Counter, "input",
             "lines cut at `max_line_size` (the rest discarded; also logged, at most once a "
             "minute)"},
            {"auditrelay_files_watched", MetricType::Gauge, "input", "files tracked"},
            {"auditrelay_files_open", MetricType::Gauge, "input",
             "descriptors open (at most `max_open_files`)"},
            {"auditrelay_file_rotations_total", MetricType::Counter, "input",
             "renames, deletions and truncations seen"},
            {"auditrelay_read_lag_bytes", MetricType::Gauge, "input",
             "bytes written to the files but not read yet (as of each file's last look)"},
        },
});

}  // namespace
}  // namespace auditrelay
