// Output `file`: appends NDJSON events to a file. A batch is acknowledged only after its bytes
// are written and fdatasync'ed, so an acknowledged event survives a crash of the machine. When
// the path stops naming the open file (rotated away), the next batch goes to a new file there.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "core/plugin/output.h"
#include "core/registry/registry.h"
#include "plugins/outputs/common/fd_writer.h"

namespace auditrelay {
namespace {

class FileOutput final : public Output {
 public:
  FileOutput(std::string path, bool sync) : path_(std::move(path)), sync_(sync) {}
  ~FileOutput() override {
    if (fd_ >= 0) ::close(fd_);
  }

  SendResult send(const OutBatch& batch) override {
    if (fd_ >= 0 && !path_names_open_file()) reopen_after_rotation();
    if (fd_ < 0 && !open_file())
      return SendResult::retry("cannot open " + path_ + ": " + std::strerror(errno));
    buf_.clear();
    for (const auto& e : batch.events) {
      buf_.append(e.json);
      buf_.push_back('\n');
    }
    // A failed or partial write leaves the file with a torn tail; re-opening appends after it
    // and the retried batch is written whole (at least once).
    if (!write_all(fd_, buf_) || (sync_ && ::fdatasync(fd_) != 0)) {
      std::string err = std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      return SendResult::retry("write " + path_ + ": " + err);
    }
    return SendResult::delivered();
  }

  void flush() override {
    if (fd_ >= 0) ::fdatasync(fd_);
  }

 private:
  // logrotate's `mv` (or a deletion) leaves the descriptor on the old file: checked before every
  // batch (one stat), so no SIGHUP or copytruncate is needed.
  bool path_names_open_file() const {
    struct stat by_path {
    }, open{};
    return ::stat(path_.c_str(), &by_path) == 0 && ::fstat(fd_, &open) == 0 &&
           by_path.st_dev == open.st_dev && by_path.st_ino == open.st_ino;
  }
  void reopen_after_rotation() {
    if (sync_) ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
    spdlog::info("output file: {} was renamed or deleted; writing to a new {}", path_, path_);
  }

  bool open_file() {
    std::error_code ec;
    auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) return false;
    // A crash in the middle of a write leaves a torn last line; end it so the next event starts
    // on a line of its own (the torn event was not acknowledged and will be written again).
    off_t size = ::lseek(fd_, 0, SEEK_END);
    char last = '\n';
    if (size > 0 && ::pread(fd_, &last, 1, size - 1) == 1 && last != '\n' &&
        !write_all(fd_, "\n")) {
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    return true;
  }

  std::string path_;
  bool sync_;
  int fd_ = -1;
  std::string buf_;
};

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "file",
    .summary = "Appends events as NDJSON to a file, fsynced before a batch is acknowledged",
    .options =
        {
            {"path", OptType::String, "", true, "file to append to (created with its directories)"},
            {"fsync", OptType::Bool, "true", false,
             "fdatasync every batch before acknowledging it (turn off only for benchmarks)"},
        },
    .make_output = [](const PluginContext&, const Options& o) -> std::unique_ptr<Output> {
      return std::make_unique<FileOutput>(o.str("path"), o.boolean("fsync", true));
    },
});

}  // namespace
}  // namespace auditrelay
