#include "core/common/fd_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/common/unique_fd.h"

namespace auditrelay {

bool write_all(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

bool pread_exact(int fd, uint64_t offset, size_t n, std::string& out) {
  out.resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out.data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

bool sync_directory(const std::string& dir, std::string& error) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    error = dir + ": " + std::strerror(errno);
    return false;
  }
  // Some file systems cannot fsync a directory at all (EINVAL, EBADF: there its entries are
  // durable without it, or cannot be made so); that is not a failure of the caller's write.
  if (::fsync(fd.get()) != 0 && errno != EINVAL && errno != EBADF) {
    error = dir + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace auditrelay
