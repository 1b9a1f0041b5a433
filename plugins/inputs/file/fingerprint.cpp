#include "plugins/inputs/file/fingerprint.h"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

namespace auditrelay {
namespace {

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

ssize_t pread_full(int fd, char* buf, size_t n, off_t at) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, buf + got, n - got, at + static_cast<off_t>(got));
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

}  // namespace

std::optional<Fingerprint> take_fingerprint(int fd, size_t max_bytes, uint64_t size) {
  std::vector<char> head(static_cast<size_t>(std::min<uint64_t>(max_bytes, size)));
  ssize_t n = pread_full(fd, head.data(), head.size(), 0);
  if (n <= 0) return std::nullopt;
  std::string_view v(head.data(), static_cast<size_t>(n));
  size_t length = v.size();
  if (v.size() < max_bytes) {
    size_t last_nl = v.rfind('\n');
    if (last_nl == std::string_view::npos) return std::nullopt;  // first line still incomplete
    length = last_nl + 1;
  }
  return Fingerprint{fnv1a(v.substr(0, length)), static_cast<uint32_t>(length)};
}

std::optional<uint64_t> hash_prefix(int fd, uint32_t length) {
  std::vector<char> head(length);
  ssize_t n = pread_full(fd, head.data(), head.size(), 0);
  if (n != static_cast<ssize_t>(length)) return std::nullopt;
  return fnv1a(std::string_view(head.data(), length));
}

bool is_prefix_copy(int copy, uint64_t copy_size, int original, uint64_t original_size) {
  if (copy_size == 0 || copy_size > original_size) return false;
  size_t k = static_cast<size_t>(std::min<uint64_t>(copy_size, 4096));
  std::vector<char> a(k), b(k);
  auto at = static_cast<off_t>(copy_size - k);
  return pread_full(copy, a.data(), k, at) == static_cast<ssize_t>(k) &&
         pread_full(original, b.data(), k, at) == static_cast<ssize_t>(k) &&
         std::memcmp(a.data(), b.data(), k) == 0;
}

std::string file_checkpoint_key(const std::string& input, const Fingerprint& fp, dev_t dev,
                                ino_t ino) {
  char buf[96];
  std::snprintf(buf, sizeof buf, ":%016" PRIx64 ":%" PRIu32 ":%llx:%llx", fp.hash, fp.length,
                static_cast<unsigned long long>(dev), static_cast<unsigned long long>(ino));
  return "file:" + input + buf;
}

std::optional<ParsedFileKey> parse_file_checkpoint_key(const std::string& input,
                                                       const std::string& key) {
  std::string prefix = "file:" + input + ":";
  if (key.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  uint64_t hash = 0;
  uint32_t length = 0;
  unsigned long long dev = 0, ino = 0;
  char tail = 0;
  if (std::sscanf(key.c_str() + prefix.size(), "%16" SCNx64 ":%" SCNu32 ":%llx:%llx%c", &hash,
                  &length, &dev, &ino, &tail) != 4)
    return std::nullopt;
  return ParsedFileKey{Fingerprint{hash, length}, static_cast<dev_t>(dev), static_cast<ino_t>(ino)};
}

}  // namespace auditrelay
