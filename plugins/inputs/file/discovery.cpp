#include "plugins/inputs/file/discovery.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>

#include "core/server/health_board.h"
#include "plugins/inputs/file/kubernetes_path.h"

namespace auditrelay::file_input {
namespace {

bool matches_any(const std::vector<std::string>& patterns, const std::string& s) {
  for (const auto& p : patterns)
    if (fnmatch(p.c_str(), s.c_str(), 0) == 0) return true;
  return false;
}

void expand(const std::string& pattern, std::set<std::string>& found) {
  glob_t g{};
  if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) found.insert(g.gl_pathv[i]);
  globfree(&g);
}

}  // namespace

void Discovery::start_watcher() {
  if (!opts_.inotify) return;
  std::string err;
  if (!watcher_.start(err)) {
    spdlog::warn("input {}: inotify unavailable ({}); polling every {} ms", ctx_.name, err,
                 opts_.poll_interval.count());
    return;
  }
  if (auto w = inotify_limits_warning(read_inotify_limits()); !w.empty())
    spdlog::warn("input {}: {}", ctx_.name, w);
}

void Discovery::wait_for_changes(std::chrono::milliseconds timeout, std::set<TrackedFile*>& dirty) {
  auto changes = watcher_.wait(timeout);
  need_scan_ |= changes.names_changed;
  for (const auto& p : changes.modified)
    if (auto it = files_.by_path.find(p); it != files_.by_path.end()) dirty.insert(it->second);
}

bool Discovery::excluded(const std::string& path) const {
  std::string base = path.substr(path.rfind('/') + 1);
  if (matches_any(opts_.exclude, path) || matches_any(opts_.exclude, base)) return true;
  KubernetesPath k = kubernetes_from_path(path);
  if (!k.found()) return false;  // the namespace and pod filters only concern container logs
  if (!opts_.include_namespaces.empty() && !matches_any(opts_.include_namespaces, k.namespace_name))
    return true;
  if (!opts_.include_pods.empty() && !matches_any(opts_.include_pods, k.pod)) return true;
  return matches_any(opts_.exclude_namespaces, k.namespace_name) ||
         matches_any(opts_.exclude_pods, k.pod);
}

void Discovery::scan(bool thorough) {
  std::set<std::string> found;
  for (const auto& pattern : opts_.paths) {
    expand(pattern, found);
    // Watch the pattern's directory too, so new files are seen at once.
    watch(dir_of(pattern));
  }
  forget_unreadable_gone(found);
  files_.present.clear();
  size_t open_now = limit_.open_count();
  for (const auto& path : found) consider(path, thorough, open_now);
  std::map<InodeKey, uint64_t> still_present;
  for (auto& [ino, size] : files_.closed_size)
    if (files_.present.count(ino)) still_present.emplace(ino, size);
  files_.closed_size = std::move(still_present);
  if (thorough) mark_rotated();
}

void Discovery::forget_unreadable_gone(const std::set<std::string>& found) {
  for (auto it = unreadable_.begin(); it != unreadable_.end();) {
    if (found.count(*it)) {
      ++it;
      continue;
    }
    readable_again(*it);  // gone: nothing left to read there
    it = unreadable_.erase(it);
  }
}

void Discovery::consider(const std::string& path, bool thorough, size_t& open_now) {
  if (!thorough) {
    // Known paths are re-checked only in a thorough scan (what keeps 1,000 idle files cheap).
    auto k = files_.by_path.find(path);
    if (k != files_.by_path.end() && k->second && !k->second->rotated && k->second->path == path) {
      files_.present.emplace(k->second->inode, path);
      return;
    }
  }
  if (excluded(path)) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if (!S_ISREG(st.st_mode)) {
    if (warned_.insert(path).second)
      spdlog::warn("input {}: {} is not a regular file; skipped", ctx_.name, path);
    return;
  }
  InodeKey ino{st.st_dev, st.st_ino};
  files_.present.emplace(ino, path);
  // A rotated file this run already finished: opened again only when it changes.
  if (auto c = files_.closed_size.find(ino);
      c != files_.closed_size.end() && c->second == static_cast<uint64_t>(st.st_size))
    return;
  if (auto it = files_.by_inode.find(ino); it != files_.by_inode.end()) {
    // Known file at a new name (renamed into the pattern): a closed one is re-opened there.
    if (it->second->fd < 0 && it->second->path != path) {
      it->second->path = path;
      files_.by_path[path] = it->second.get();
    }
    return;
  }
  // Descriptors stay within max_open_files even while many files appear at once: idle ones
  // are closed first, and a file that still does not fit waits for a later scan.
  if (!limit_.make_room(open_now)) {
    if (!initial_scan_done_) deferred_initial_.insert(path);
    need_scan_ = true;
    return;
  }
  if (open_file(path, st)) ++open_now;
}

// Files whose path now names another file, or nothing.
void Discovery::mark_rotated() {
  for (auto& [ino, f] : files_.by_inode) {
    if (f->rotated || f->held_copy) continue;
    struct stat st {};
    if (::stat(f->path.c_str(), &st) == 0 && InodeKey{st.st_dev, st.st_ino} == ino) continue;
    if (f->fd < 0 && !reopen_elsewhere(*f)) {
      spdlog::warn(
          "input {}: {} was rotated while closed by max_open_files and cannot be found; lines "
          "after offset {} may be missing",
          ctx_.name, f->path, f->offset);
      f->retired->store(true);
      continue;
    }
    f->rotated = true;
    f->rotated_at = Clock::now();
    ++ctx_.rotations;
    spdlog::info("input {}: {} was rotated; reading the old file to its end", ctx_.name, f->path);
  }
}

// A closed file that was renamed: found by its inode in the directory it was in.
bool Discovery::reopen_elsewhere(TrackedFile& f) {
  auto found = find_by_inode(dir_of(f.path), f.inode);
  if (!found) return false;
  f.path = *found;
  files_.by_path[f.path] = &f;
  return f.reopen();
}

std::optional<std::string> Discovery::find_by_inode(const std::string& dir, InodeKey ino) const {
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

void Discovery::find_rotated_while_stopped() {
  for (const auto& s : files_.saved) {
    InodeKey ino{s.id.dev, s.id.ino};
    if (files_.present.count(ino) || files_.by_inode.count(ino)) continue;
    auto found = find_by_inode(dir_of(s.cp.path), ino);
    if (!found || excluded(*found)) continue;
    struct stat st {};
    if (::stat(found->c_str(), &st) != 0) continue;
    open_file(*found, st);
  }
}

void Discovery::watch(const std::string& dir) {
  if (!watcher_.active() || watch_failed_.count(dir)) return;
  std::string err;
  if (!watcher_.watch_directory(dir, err) && ::access(dir.c_str(), F_OK) == 0) {
    watch_failed_.insert(dir);
    spdlog::warn("input {}: cannot watch {} ({}); its files are polled every {} ms", ctx_.name, dir,
                 err, opts_.glob_interval.count());
  }
}

bool Discovery::open_file(const std::string& path, const struct stat& st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    unreadable(path, std::strerror(errno));
    return false;
  }
  if (unreadable_.erase(path)) readable_again(path);
  auto f = std::make_unique<TrackedFile>();
  f->path = path;
  char real[PATH_MAX];
  f->real_path = ::realpath(path.c_str(), real) ? real : path;
  f->fd = fd;
  f->inode = {st.st_dev, st.st_ino};
  f->reader = make_line_reader(opts_);
  f->source = describe_source(*f);
  // Present at the very first start (also when max_open_files deferred its opening).
  f->start_at_end =
      first_start_ && opts_.from_end && (!initial_scan_done_ || deferred_initial_.erase(path));
  watch(dir_of(path));
  if (f->real_path != path) watch(dir_of(f->real_path));
  files_.by_path[f->path] = f.get();
  files_.by_path[f->real_path] = f.get();
  spdlog::info("input {}: watching {}", ctx_.name, path);
  files_.closed_size.erase(f->inode);
  files_.by_inode.emplace(f->inode, std::move(f));
  return true;
}

std::shared_ptr<SourceInfo> Discovery::describe_source(const TrackedFile& f) const {
  auto source = std::make_shared<SourceInfo>();
  source->input = ctx_.name;
  source->type = "file";
  source->path = f.path;
  source->host = ctx_.host_name;
  KubernetesPath k = kubernetes_from_path(f.path);
  if (!k.found()) k = kubernetes_from_path(f.real_path);
  source->k8s_namespace = k.namespace_name;
  source->k8s_pod = k.pod;
  source->k8s_container = k.container;
  return source;
}

void Discovery::unreadable(const std::string& path, const std::string& why) {
  if (warned_.insert(path).second)
    spdlog::warn("input {}: cannot open {}: {}; skipped", ctx_.name, path, why);
  if (unreadable_.insert(path).second && ctx_.health && opts_.unready_when_unreadable)
    ctx_.health->fail("input " + ctx_.name + " (" + path + ")", "cannot open: " + why);
}

void Discovery::readable_again(const std::string& path) {
  warned_.erase(path);
  if (ctx_.health) ctx_.health->ok("input " + ctx_.name + " (" + path + ")");
}

}  // namespace auditrelay::file_input
