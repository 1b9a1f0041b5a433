#include "plugins/inputs/file/identifier.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace auditrelay::file_input {
namespace {

// A truncation was flagged, or the file shrank or its first bytes changed.
bool looks_truncated(const TrackedFile& t) {
  if (t.truncated) return true;
  if (t.fd < 0 || !t.fp) return false;
  return truncated_in_place(size_of(t.fd), t.offset, still_matches(t.fd, *t.fp));
}

uint64_t last_line_end(int fd, uint64_t size) {
  std::string tail(std::min<uint64_t>(size, 64 * 1024), '\0');
  ssize_t r = ::pread(fd, tail.data(), tail.size(), static_cast<off_t>(size - tail.size()));
  if (r <= 0) return size;
  size_t nl = std::string_view(tail.data(), static_cast<size_t>(r)).rfind('\n');
  return nl == std::string::npos ? size : size - tail.size() + nl + 1;
}

}  // namespace

bool Identifier::load_saved_positions() {
  for (const auto& [key, cp] : checkpoints_.all())
    if (auto id = parse_file_checkpoint_key(name_, key))
      files_.saved.push_back(SavedPosition{key, *id, cp});
  return !files_.saved.empty();
}

void Identifier::identify_new_files(std::set<TrackedFile*>& dirty) {
  for (int round = 0; round < 2; ++round)
    for (auto& [key, f] : files_.by_inode) {
      if (f->fp || f->held_copy || f->fd < 0) continue;
      InodeKey ino = key;  // a structured binding cannot be captured before C++20 in clang 14
      bool has_saved =
          std::any_of(files_.saved.begin(), files_.saved.end(), [&](const SavedPosition& s) {
            return InodeKey{s.id.dev, s.id.ino} == ino;
          });
      if ((round == 0) == has_saved && identify(*f)) dirty.insert(f.get());
    }
}

bool Identifier::identify(TrackedFile& f) {
  if (f.held_copy) return false;
  Looks looks = look_at(f);
  IdentityDecision d = decide_identity(looks.seen);
  f.settle = d.settle;
  switch (d.verdict) {
    case IdentityVerdict::Undecided:
      return false;
    case IdentityVerdict::HeldCopy:
      hold_as_copy(f, *looks.peers[d.peer]);
      return false;
    case IdentityVerdict::CopyOfTruncated:
      looks.peers[d.peer]->truncated = true;
      read_as_copy(f, *looks.peers[d.peer]);
      return true;
    case IdentityVerdict::Resumed:
      resume(f, d);
      return true;
    case IdentityVerdict::New:
      set_identity(f, *looks.seen.fingerprint, d.distinct);
      f.begin_at(d.start);
      return true;
  }
  return false;
}

bool Identifier::take_copies_of(const TrackedFile& original) {
  for (auto& [ino, c] : files_.by_inode)
    if (!c->fp && !c->held_copy && c->fd >= 0 && c.get() != &original) identify(*c);
  bool copied = false;
  for (auto& [ino, c] : files_.by_inode) {
    if (!c->held_copy || c->copy_of != original.inode) continue;
    c->held_copy = false;
    read_as_copy(*c, original);
    copied = true;
  }
  return copied;
}

// Everything decide_identity weighs, looked at in the order the decision uses it.
Identifier::Looks Identifier::look_at(TrackedFile& f) const {
  Looks looks;
  IdentitySeen& seen = looks.seen;
  seen.size = size_of(f.fd);
  look_at_peers(f, looks);
  seen.now = Clock::now();
  seen.settle = f.settle;
  look_at_saved(f, seen);
  seen.fingerprint = take_fingerprint(f.fd, opts_.fingerprint_bytes, seen.size);
  seen.start_at_end = f.start_at_end;
  if (f.start_at_end) seen.last_line_end = last_line_end(f.fd, seen.size);
  return looks;
}

void Identifier::look_at_peers(const TrackedFile& f, Looks& looks) const {
  uint64_t size = looks.seen.size;
  for (auto& [ino, t] : files_.by_inode) {
    if (t.get() == &f || !t->fp || t->held_copy) continue;
    PeerSeen p;
    p.fingerprint_length = t->fp->length;
    p.peer_offset = t->offset;
    p.same_head = hash_prefix(f.fd, t->fp->length) == t->fp->hash;
    // The prefix before the truncation: see PeerSeen::peer_truncated.
    if (t->fd >= 0 && (p.same_head || size < t->fp->length))
      p.prefix_of_peer = is_prefix_copy(f.fd, size, t->fd, size_of(t->fd));
    if (p.same_head) p.peer_truncated = looks_truncated(*t);
    looks.seen.peers.push_back(p);
    looks.peers.push_back(t.get());
  }
}

void Identifier::look_at_saved(const TrackedFile& f, IdentitySeen& seen) const {
  for (const auto& s : files_.saved) {
    SavedSeen v;
    v.same_head = hash_prefix(f.fd, s.id.fp.length) == s.id.fp.hash;
    v.same_inode = InodeKey{s.id.dev, s.id.ino} == f.inode;
    v.inode_still_holds = v.same_head && !v.same_inode && inode_still_holds(s);
    v.same_path = s.cp.path == f.path;
    v.offset = s.cp.offset;
    seen.saved.push_back(v);
  }
}

bool Identifier::inode_still_holds(const SavedPosition& s) const {
  auto it = files_.present.find(InodeKey{s.id.dev, s.id.ino});
  if (it == files_.present.end()) return false;
  int fd = ::open(it->second.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool holds = hash_prefix(fd, s.id.fp.length) == s.id.fp.hash;
  ::close(fd);
  return holds;
}

void Identifier::hold_as_copy(TrackedFile& copy, const TrackedFile& original) {
  copy.held_copy = true;
  copy.copy_of = original.inode;
  spdlog::info("input {}: {} is a copy of {}; held until that file is truncated", name_, copy.path,
               original.path);
}

// The copy is read from where the original was, so the lines written between the last read
// and the truncation are not lost; it is closed like a rotated file once it has no more.
void Identifier::read_as_copy(TrackedFile& copy, const TrackedFile& original) {
  set_identity(copy, *original.fp, false);
  copy.begin_at(original.reader->safe_offset());
  copy.rotated = true;
  copy.rotated_at = Clock::now();
  spdlog::info("input {}: {} was truncated; reading its copy {} from offset {}", name_,
               original.path, copy.path, copy.offset);
}

void Identifier::resume(TrackedFile& f, const IdentityDecision& d) {
  SavedPosition s = files_.saved[d.saved];
  files_.saved.erase(files_.saved.begin() + static_cast<std::ptrdiff_t>(d.saved));
  set_identity(f, s.id.fp, false);
  if (s.key != f.key) checkpoints_.erase(s.key);
  f.begin_at(d.start);
  if (d.drain_first) {
    // Rotated while stopped: finish it before its successor.
    f.rotated = f.drain_first = true;
    f.rotated_at = Clock::now();
    spdlog::info("input {}: {} (was {}) resumes at offset {} and is read to its end first", name_,
                 f.path, s.cp.path, d.start);
  } else {
    spdlog::info("input {}: {} resumes at offset {}", name_, f.path, d.start);
  }
}

void Identifier::set_identity(TrackedFile& f, const Fingerprint& fp, bool distinct) {
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

}  // namespace auditrelay::file_input
