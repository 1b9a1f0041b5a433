#pragma once
// Which files the input reads: the patterns expanded (minus exclusions and the Kubernetes
// filters), the directories watched with inotify, new files opened, renamed and deleted ones
// noticed (rotation), and files rotated while the agent was stopped found next to where they
// were. Change detection: inotify on the files' directories; a full check every `glob_interval`
// catches what events miss; without inotify every file is polled every `poll_interval`.
#include <sys/stat.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "core/metrics/metrics.h"
#include "plugins/inputs/file/change_watcher.h"
#include "plugins/inputs/file/descriptor_limit.h"
#include "plugins/inputs/file/file_input_options.h"
#include "plugins/inputs/file/tracked_file.h"

namespace auditrelay {
class HealthBoard;
}

namespace auditrelay::file_input {

class Discovery {
 public:
  struct Context {
    const std::string& name;  // the input's
    const FileInputOptions& opts;
    const std::string& host_name;
    HealthBoard* health;  // may be null
    Metrics::Counter& rotations;
  };
  Discovery(Context ctx, TrackedFiles& files, DescriptorLimit& limit)
      : ctx_(ctx), opts_(ctx.opts), files_(files), limit_(limit) {}

  // Starts inotify when enabled (and warns when unavailable or its limits are low).
  void start_watcher();
  // read_from: end applies only to the very first start (no saved positions yet).
  void set_first_start(bool first) { first_start_ = first; }
  void finish_initial_scan() { initial_scan_done_ = true; }

  // Expands the patterns. A thorough scan also re-checks the known paths (renames, deletions);
  // otherwise only new files are looked for.
  void scan(bool thorough = true);
  // A file rotated while the agent was stopped and now outside the patterns (coderd.log →
  // coderd.log.1 with `paths: [coderd.log]`): found by inode next to where it was.
  void find_rotated_while_stopped();

  // A scan is due: names changed, or files waited for a descriptor.
  bool scan_needed() const { return need_scan_; }
  void scan_done() { need_scan_ = false; }
  bool watching() const { return watcher_.active(); }
  // Every directory has an inotify watch: the full pass is then only a safety net.
  bool events_cover_all() const { return watcher_.active() && watch_failed_.empty(); }
  // Waits up to `timeout` for inotify events; files written to are added to `dirty`.
  void wait_for_changes(std::chrono::milliseconds timeout, std::set<TrackedFile*>& dirty);

 private:
  bool excluded(const std::string& path) const;
  void forget_unreadable_gone(const std::set<std::string>& found);
  // A path a scan found: known, new (opened), or waiting for a descriptor.
  void consider(const std::string& path, bool thorough, size_t& open_now);
  void mark_rotated();
  bool reopen_elsewhere(TrackedFile& f);
  std::optional<std::string> find_by_inode(const std::string& dir, InodeKey ino) const;
  void watch(const std::string& dir);
  bool open_file(const std::string& path, const struct stat& st);
  std::shared_ptr<SourceInfo> describe_source(const TrackedFile& f) const;
  void unreadable(const std::string& path, const std::string& why);
  void readable_again(const std::string& path);

  Context ctx_;
  const FileInputOptions& opts_;
  TrackedFiles& files_;
  DescriptorLimit& limit_;
  ChangeWatcher watcher_;
  std::set<std::string> warned_, watch_failed_;
  std::set<std::string> unreadable_;        // matched files that could not be opened (readiness)
  std::set<std::string> deferred_initial_;  // present at the first start, opened later
  bool need_scan_ = false, first_start_ = false, initial_scan_done_ = false;
};

}  // namespace auditrelay::file_input
