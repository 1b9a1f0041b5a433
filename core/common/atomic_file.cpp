#include "core/common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/common/fd_io.h"
#include "core/common/unique_fd.h"

namespace auditrelay {
namespace {

std::string with_errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// The directory holding `path`, whose entry the rename changes.
std::string parent_directory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes `data` to a new file `tmp` and fsyncs it; on a failure after it was created, removes it.
// Errors name `path`, the file the caller asked for.
bool write_synced_temp(const std::string& tmp, const std::string& path, std::string_view data,
                       std::string& error) {
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd) {
    error = with_errno(tmp);
    return false;
  }
  // close() is checked too: some file systems (NFS) report a failed write only there.
  bool ok = write_all(fd.get(), data) && ::fsync(fd.get()) == 0 && ::close(fd.release()) == 0;
  if (!ok) {
    error = with_errno(path);
    ::unlink(tmp.c_str());
  }
  return ok;
}

}  // namespace

bool write_file_atomically(const std::string& path, std::string_view data, std::string& error) {
  std::string tmp = path + ".tmp";
  if (!write_synced_temp(tmp, path, data, error)) return false;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = with_errno(path);
    ::unlink(tmp.c_str());
    return false;
  }
  // The rename itself must reach the disk before the caller relies on it.
  return sync_directory(parent_directory(path), error);
}

}  // namespace auditrelay
