#pragma once
// Change detection for the file input: inotify on the directories that hold watched files (one
// watch per directory, not per file), so idle files cost nothing between events. When inotify is
// unavailable or its limits are spent, the watcher says so and the input falls back to polling.
#include <chrono>
#include <map>
#include <set>
#include <string>

namespace auditrelay {

// The kernel's inotify limits, from /proc/sys/fs/inotify (0 when unknown).
struct InotifyLimits {
  long max_user_watches = 0, max_user_instances = 0;
};
InotifyLimits read_inotify_limits(const std::string& proc_dir = "/proc/sys/fs/inotify");
// A warning for limits too low for a node full of container logs, or empty when they are fine.
std::string inotify_limits_warning(const InotifyLimits& limits);

class ChangeWatcher {
 public:
  ChangeWatcher() = default;
  ~ChangeWatcher();
  ChangeWatcher(const ChangeWatcher&) = delete;
  ChangeWatcher& operator=(const ChangeWatcher&) = delete;

  // Starts inotify; false (with the reason) when it is unavailable.
  bool start(std::string& error);
  bool active() const { return fd_ >= 0; }
  // Watches a directory; false (with the reason, e.g. the watch limit) when it cannot.
  bool watch_directory(const std::string& dir, std::string& error);
  size_t directories() const { return dirs_.size(); }

  struct Changes {
    std::set<std::string> modified;  // full paths written to
    bool names_changed = false;      // created, renamed or deleted entries (or an overflow)
  };
  // Waits up to `timeout` for events and returns what changed.
  Changes wait(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::map<int, std::string> dirs_;  // watch descriptor → directory
  std::set<std::string> watched_;
};

}  // namespace auditrelay
