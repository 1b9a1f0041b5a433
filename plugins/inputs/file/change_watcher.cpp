#include "plugins/inputs/file/change_watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace auditrelay {

InotifyLimits read_inotify_limits(const std::string& proc_dir) {
  InotifyLimits l;
  std::ifstream(proc_dir + "/max_user_watches") >> l.max_user_watches;
  std::ifstream(proc_dir + "/max_user_instances") >> l.max_user_instances;
  return l;
}

std::string inotify_limits_warning(const InotifyLimits& l) {
  // A node runs a few hundred containers and every agent and IDE on it wants inotify too.
  constexpr long kMinWatches = 16384, kMinInstances = 128;
  std::string w;
  if (l.max_user_watches > 0 && l.max_user_watches < kMinWatches)
    w += "fs.inotify.max_user_watches is " + std::to_string(l.max_user_watches) +
         " (raise it to 65536 or more)";
  if (l.max_user_instances > 0 && l.max_user_instances < kMinInstances)
    w += std::string(w.empty() ? "" : "; ") + "fs.inotify.max_user_instances is " +
         std::to_string(l.max_user_instances) + " (raise it to 256 or more)";
  if (!w.empty()) w += "; directories beyond the limit are polled";
  return w;
}

ChangeWatcher::~ChangeWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

bool ChangeWatcher::start(std::string& error) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    error = std::strerror(errno);
    if (errno == EMFILE) error += " (fs.inotify.max_user_instances reached)";
    return false;
  }
  return true;
}

bool ChangeWatcher::watch_directory(const std::string& dir, std::string& error) {
  if (fd_ < 0) return false;
  if (watched_.count(dir)) return true;
  int wd = ::inotify_add_watch(fd_, dir.c_str(),
                               IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                   IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
  if (wd < 0) {
    error = std::strerror(errno);
    if (errno == ENOSPC) error += " (fs.inotify.max_user_watches reached)";
    return false;
  }
  dirs_[wd] = dir;
  watched_.insert(dir);
  return true;
}

ChangeWatcher::Changes ChangeWatcher::wait(std::chrono::milliseconds timeout) {
  Changes c;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return c;
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) break;
    for (char* ptr = buf; ptr < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(ptr);
      ptr += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        c.names_changed = true;
        continue;
      }
      auto it = dirs_.find(ev->wd);
      if (it == dirs_.end()) continue;
      if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
        // The directory itself went away: forget it so it is watched again if it comes back.
        c.names_changed = true;
        if (ev->mask & IN_IGNORED) {
          watched_.erase(it->second);
          dirs_.erase(it);
        }
        continue;
      }
      if (ev->mask & (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)) c.names_changed = true;
      if (ev->len > 0) c.modified.insert(it->second + "/" + ev->name);
    }
  }
  return c;
}

}  // namespace auditrelay
