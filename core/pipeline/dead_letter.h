#pragma once
// Per-output dead-letter file: <data_dir>/dlq/<output>.ndjson, one line per rejected event with
// the reason, so a bad event never blocks the ones behind it and is never lost silently.
#include <mutex>
#include <string>
#include <string_view>

#include "core/common/unique_fd.h"

namespace auditrelay {

class DeadLetterFile {
 public:
  DeadLetterFile(std::string data_dir, std::string output);
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;
  // Appends and fsyncs; returns false when the file cannot be written (then the caller retries).
  bool write(std::string_view event_json, std::string_view reason);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string output_;
  UniqueFd fd_;  // opened on the first write
  std::mutex mu_;
};

}  // namespace auditrelay
