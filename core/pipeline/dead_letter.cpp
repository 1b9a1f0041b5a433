#include "core/pipeline/dead_letter.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/common/json_writer.h"
#include "core/common/time.h"

namespace auditrelay {

DeadLetterFile::DeadLetterFile(std::string data_dir, std::string output)
    : path_(data_dir + "/dlq/" + output + ".ndjson"), output_(std::move(output)) {}

DeadLetterFile::~DeadLetterFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool DeadLetterFile::write(std::string_view event_json, std::string_view reason) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) {
      spdlog::error("cannot open dead-letter file {}: {}", path_, std::strerror(errno));
      return false;
    }
  }
  std::string line;
  JsonWriter w(line);
  w.begin_object();
  w.field("time", format_rfc3339(now_timestamp()));
  w.field("output", output_);
  w.field("reason", reason);
  w.key("event");
  w.raw(event_json);
  w.end_object();
  line.push_back('\n');
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("cannot write dead-letter file {}: {}", path_, std::strerror(errno));
      return false;
    }
    done += static_cast<size_t>(n);
  }
  ::fdatasync(fd_);
  return true;
}

}  // namespace auditrelay
