#pragma once
// The positions an agent saved in <data_dir>/checkpoints.json, for tests that wait until the
// agent has caught up: a file's position is saved only once every output acknowledged what was
// read from it, so a position at the file's size means all of it was read and delivered.
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.h"

namespace auditrelay::test {

class SavedPositions {
 public:
  // Reads the file as it is now (nothing before the agent's first save).
  explicit SavedPositions(const std::string& data_dir) {
    std::string text = slurp(data_dir + "/checkpoints.json");
    size_t crc = text.rfind("\ncrc32 ");
    if (crc == std::string::npos) return;
    auto doc = nlohmann::json::parse(text.substr(0, crc), nullptr, false);
    if (doc.is_discarded() || !doc.contains("sources") || !doc["sources"].is_object()) return;
    for (const auto& [key, cp] : doc["sources"].items()) {
      // A file input's key ends with ":<device>:<inode>" in hex.
      size_t ino_at = key.rfind(':');
      size_t dev_at = ino_at == std::string::npos || ino_at == 0 ? std::string::npos
                                                                 : key.rfind(':', ino_at - 1);
      if (dev_at == std::string::npos || !key.starts_with("file:")) continue;
      try {
        auto dev = std::stoull(key.substr(dev_at + 1, ino_at - dev_at - 1), nullptr, 16);
        auto ino = std::stoull(key.substr(ino_at + 1), nullptr, 16);
        by_inode_[{dev, ino}].push_back(cp.value("offset", uint64_t{0}));
      } catch (const std::exception&) {
      }
    }
  }
  // The offsets saved for the file now at `path` (one per identity it had under its inode: a
  // truncated file gets a new one).
  std::vector<uint64_t> of(const std::string& path) const {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    auto it = by_inode_.find(
        {static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino)});
    return it == by_inode_.end() ? std::vector<uint64_t>{} : it->second;
  }
  bool has(const std::string& path, uint64_t offset) const {
    auto offsets = of(path);
    return std::find(offsets.begin(), offsets.end(), offset) != offsets.end();
  }
  // Saved at the file's current size (an empty file has nothing to read, and no position).
  bool at_end(const std::string& path) const {
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(path, ec);
    return !ec && (size == 0 || has(path, size));
  }

 private:
  std::map<std::pair<unsigned long long, unsigned long long>, std::vector<uint64_t>> by_inode_;
};

// True once every file's saved position is its size.
inline bool saved_at_end(const std::string& data_dir, const std::vector<std::string>& paths) {
  SavedPositions saved(data_dir);
  return std::all_of(paths.begin(), paths.end(),
                     [&](const std::string& p) { return saved.at_end(p); });
}

}  // namespace auditrelay::test
