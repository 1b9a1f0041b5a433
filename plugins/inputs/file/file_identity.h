#pragma once
// Who a newly seen file is and where to start reading it: the same file as a saved position
// (maybe renamed, maybe grown), a copytruncate copy of a file being read, a file rotated while
// the agent was stopped, or a new file. A pure decision on what was seen (fingerprints,
// inodes, sizes, saved positions): the I/O that looks, and the bookkeeping that follows, are
// the caller's (plugins/inputs/file/identifier.h), so every branch can be tested on its own.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "plugins/inputs/file/fingerprint.h"

namespace auditrelay::file_input {

using Clock = std::chrono::steady_clock;

// A snapshot taken for copytruncate holds about as much as was read from the original; one
// shorter by more than this is a new file that merely starts with the same lines.
constexpr uint64_t kCopySlack = 1 << 20;
// How long a possible copy in progress must keep its size before it is judged.
constexpr auto kCopySettle = std::chrono::milliseconds(500);

// When a possible copy in progress last changed size. It is started (or restarted) only when a
// decision needs to know whether the size settled, never merely because the file grew.
struct SettleClock {
  uint64_t size = UINT64_MAX;
  Clock::time_point since{};
};

// True once `size` was kept for kCopySettle; restarts the clock when the size changed.
bool settled(SettleClock& clock, uint64_t size, Clock::time_point now);

// A file shrank below what was read, or its first bytes are no longer its fingerprint's: it was
// truncated (and maybe written again past the old offset; only the first bytes tell).
inline bool truncated_in_place(uint64_t size, uint64_t offset, bool head_matches) {
  return size < offset || !head_matches;
}

// Another file being read (identified, not a held copy), compared with the new one.
struct PeerSeen {
  uint32_t fingerprint_length = 0;  // bytes its fingerprint covers
  // The new file's first fingerprint_length bytes hash to the peer's fingerprint.
  bool same_head = false;
  // The new file's last bytes are the peer's bytes at the same offsets (is_prefix_copy). Looked
  // at while the peer is open, and for a different head only when the new file is shorter than
  // the peer's fingerprint; false otherwise.
  bool prefix_of_peer = false;
  // The peer was truncated (flagged, or shrank or changed its head): looked at after
  // prefix_of_peer, for a same head only. copytruncate may truncate the original between the
  // two looks, and a copy compared with an already emptied original is no prefix of it: in
  // that order a truncation in between is seen here.
  bool peer_truncated = false;
  uint64_t peer_offset = 0;  // what was read of the peer
};

// A position saved by an earlier run and not yet claimed.
struct SavedSeen {
  bool same_head = false;   // the new file starts with the saved fingerprint's bytes
  bool same_inode = false;  // the position was saved for this device and inode
  // Only looked at for a same head under another inode: the saved inode is present and still
  // starts with that content (so the content here is another file's, not that one moved).
  bool inode_still_holds = false;
  bool same_path = false;  // saved at the path the file was found at
  uint64_t offset = 0;
};

struct IdentitySeen {
  uint64_t size = 0;  // the new file's size, when the looks began
  std::vector<PeerSeen> peers;
  std::vector<SavedSeen> saved;
  // The new file's own fingerprint within `size` (none without a complete first line).
  std::optional<Fingerprint> fingerprint;
  bool start_at_end = false;   // present at the very first start with read_from: end
  uint64_t last_line_end = 0;  // where the last complete line within `size` ends
  SettleClock settle;          // the file's clock as left by the last decision
  Clock::time_point now{};
};

enum class IdentityVerdict {
  Undecided,        // cannot be told yet: no complete line, or a possible copy still growing
  HeldCopy,         // a copytruncate snapshot of `peer`: held, unread, until that is truncated
  CopyOfTruncated,  // the snapshot of `peer`, which is already truncated: read from its offset
  Resumed,          // claims saved position `saved`
  New,              // a file never seen, known by IdentitySeen::fingerprint, read from `start`
};

struct IdentityDecision {
  IdentityVerdict verdict = IdentityVerdict::Undecided;
  size_t peer = 0;   // HeldCopy, CopyOfTruncated: index in IdentitySeen::peers
  size_t saved = 0;  // Resumed: index in IdentitySeen::saved
  // New: another file being read starts with the same bytes (the two are still two files).
  bool distinct = false;
  uint64_t start = 0;  // Resumed, New: where to start reading
  // Resumed at another path: rotated while the agent was stopped, finished before its successor.
  bool drain_first = false;
  SettleClock settle;  // the file's clock from now on
};

IdentityDecision decide_identity(const IdentitySeen& seen);

}  // namespace auditrelay::file_input
