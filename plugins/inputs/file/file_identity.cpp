#include "plugins/inputs/file/file_identity.h"

namespace auditrelay::file_input {
namespace {

using Verdict = IdentityVerdict;

IdentityDecision verdict(Verdict v, const SettleClock& settle) {
  IdentityDecision d;
  d.verdict = v;
  d.settle = settle;
  return d;
}

// 1. The same content as a file being read: a copy (copytruncate) or a distinct file that
//    happens to start with the same bytes. Nothing when no peer decides; `distinct` is set when
//    one starts with the same bytes.
std::optional<IdentityDecision> compare_with_peers(const IdentitySeen& seen, SettleClock& settle,
                                                   bool& distinct) {
  for (size_t i = 0; i < seen.peers.size(); ++i) {
    const PeerSeen& p = seen.peers[i];
    if (!p.same_head) {
      // Shorter than the other file's fingerprint but the same bytes so far: a copy still being
      // written (copytruncate's cp) looks like this for a moment, and so does a new file that
      // starts with the same lines. Decided once its size settles.
      if (seen.size < p.fingerprint_length && p.prefix_of_peer &&
          !settled(settle, seen.size, seen.now))
        return verdict(Verdict::Undecided, settle);
      continue;
    }
    if (p.peer_truncated) {
      auto d = verdict(Verdict::CopyOfTruncated, settle);
      d.peer = i;
      return d;
    }
    // A snapshot taken for copytruncate holds about as much as was read from the original; a
    // new file that merely starts with the same lines is far shorter. A short one that is still
    // growing may be a copy in progress: it is looked at again once its size settles.
    bool prefix = p.prefix_of_peer;
    if (prefix && seen.size + kCopySlack < p.peer_offset) {
      if (!settled(settle, seen.size, seen.now)) return verdict(Verdict::Undecided, settle);
      prefix = false;
    }
    if (prefix) {
      auto d = verdict(Verdict::HeldCopy, settle);
      d.peer = i;
      return d;
    }
    distinct = true;
  }
  return std::nullopt;
}

// 2. A saved position: the same file (maybe renamed), or its content moved while stopped.
std::optional<size_t> pick_saved(const std::vector<SavedSeen>& saved) {
  std::optional<size_t> pick;
  for (size_t i = 0; i < saved.size(); ++i) {
    if (!saved[i].same_head) continue;
    if (saved[i].same_inode) return i;
    // Content match under another inode: only when that inode no longer holds this content.
    if (!pick && !saved[i].inode_still_holds) pick = i;
  }
  return pick;
}

}  // namespace

bool settled(SettleClock& clock, uint64_t size, Clock::time_point now) {
  if (size != clock.size) {
    clock.size = size;
    clock.since = now;
  }
  return now - clock.since >= kCopySettle;
}

IdentityDecision decide_identity(const IdentitySeen& seen) {
  SettleClock settle = seen.settle;
  bool distinct = false;
  if (auto d = compare_with_peers(seen, settle, distinct)) return *d;
  if (auto i = pick_saved(seen.saved)) {
    const SavedSeen& s = seen.saved[*i];
    auto d = verdict(Verdict::Resumed, settle);
    d.saved = *i;
    // A saved position past the end: the file was truncated while the agent was stopped.
    d.start = s.offset <= seen.size ? s.offset : 0;
    d.drain_first = !s.same_path;
    return d;
  }
  // 3. A new file. Its fingerprint is taken within the size the checks above saw: a copy that
  //    grew since then was not compared with the other files in its new state (it is looked at
  //    again in the next pass).
  if (!seen.fingerprint) return verdict(Verdict::Undecided, settle);
  auto d = verdict(Verdict::New, settle);
  d.distinct = distinct;
  d.start = seen.start_at_end ? seen.last_line_end : 0;
  return d;
}

}  // namespace auditrelay::file_input
