#pragma once
// A file's identity by content: a hash of its first bytes. A fingerprint covers up to
// `max_bytes` (1 KiB by default) but, for a file still shorter than that, only its complete
// lines, so it never changes as the file grows. Device and inode are only a hint that tells
// apart two files whose first bytes are the same.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace auditrelay {

struct Fingerprint {
  uint64_t hash = 0;
  uint32_t length = 0;  // bytes covered
  bool operator==(const Fingerprint&) const = default;
};

// The fingerprint of an open file, or nothing while it has neither max_bytes bytes nor a
// complete first line. Only bytes below `size` count: a caller that decided what the file is
// from its size gets the fingerprint of that same file, even if it grew in between.
std::optional<Fingerprint> take_fingerprint(int fd, size_t max_bytes, uint64_t size = UINT64_MAX);

// The hash of the first `length` bytes, or nothing when the file is shorter.
std::optional<uint64_t> hash_prefix(int fd, uint32_t length);

// True when the file's first fp.length bytes still hash to fp.hash.
inline bool still_matches(int fd, const Fingerprint& fp) {
  return hash_prefix(fd, fp.length) == fp.hash;
}

// True when the last bytes of `copy` (up to 4 KiB before its end) are the same bytes at the same
// offsets in `original`: the copy is a snapshot of the original (copytruncate's first step).
bool is_prefix_copy(int copy, uint64_t copy_size, int original, uint64_t original_size);

// Checkpoint keys: "file:<input>:<hash>:<length>:<dev>:<ino>".
std::string file_checkpoint_key(const std::string& input, const Fingerprint& fp, dev_t dev,
                                ino_t ino);
struct ParsedFileKey {
  Fingerprint fp;
  dev_t dev = 0;
  ino_t ino = 0;
};
std::optional<ParsedFileKey> parse_file_checkpoint_key(const std::string& input,
                                                       const std::string& key);

}  // namespace auditrelay
