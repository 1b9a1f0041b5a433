#include "plugins/inputs/file/tracked_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/event/format.h"

namespace auditrelay::file_input {

void TrackedFile::close_fd() {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

bool TrackedFile::reopen() {
  int new_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (new_fd < 0) return false;
  struct stat st {};
  if (::fstat(new_fd, &st) != 0 || InodeKey{st.st_dev, st.st_ino} != inode) {
    ::close(new_fd);
    return false;
  }
  fd = new_fd;
  last_data = Clock::now();
  return true;
}

void TrackedFile::begin_at(uint64_t start) {
  offset = start;
  reader->reset(start);
  tracker = std::make_shared<OffsetTracker>(start);
}

std::unique_ptr<LineReader> make_line_reader(const FileInputOptions& opts) {
  return std::make_unique<LineReader>(opts.format->make_framer(), opts.max_line);
}

uint64_t size_of(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace auditrelay::file_input
