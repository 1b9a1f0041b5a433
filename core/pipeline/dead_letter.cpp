#include "core/pipeline/dead_letter.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/common/fd_io.h"
#include "core/common/json_writer.h"
#include "core/common/time.h"

namespace auditrelay {
namespace {

// {"time":…,"output":…,"reason":…,"event":{…}} and a newline.
std::string dead_letter_line(std::string_view output, std::string_view event_json,
                             std::string_view reason) {
  std::string line;
  JsonWriter w(line);
  w.begin_object();
  w.field("time", format_rfc3339(now_timestamp()));
  w.field("output", output);
  w.field("reason", reason);
  w.key("event");
  w.raw(event_json);
  w.end_object();
  line.push_back('\n');
  return line;
}

}  // namespace

DeadLetterFile::DeadLetterFile(std::string data_dir, std::string output)
    : path_(data_dir + "/dlq/" + output + ".ndjson"), output_(std::move(output)) {}

bool DeadLetterFile::write(std::string_view event_json, std::string_view reason) {
  std::lock_guard lock(mu_);
  if (!fd_) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!fd_) {
      spdlog::error("cannot open dead-letter file {}: {}", path_, std::strerror(errno));
      return false;
    }
  }
  if (!write_all(fd_.get(), dead_letter_line(output_, event_json, reason))) {
    spdlog::error("cannot write dead-letter file {}: {}", path_, std::strerror(errno));
    return false;
  }
  // Not checked: the whole line is written, and a retry would append it a second time.
  ::fdatasync(fd_.get());
  return true;
}

}  // namespace auditrelay
