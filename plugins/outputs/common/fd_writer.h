#pragma once
// Writes whole buffers to a file descriptor, retrying short writes and EINTR.
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace auditrelay {

inline bool write_all(int fd, std::string_view data) {
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

}  // namespace auditrelay
