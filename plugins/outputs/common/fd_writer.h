#pragma once
// Writes whole buffers to a file descriptor, retrying short writes and EINTR: the outputs call
// write_all(fd, data), which lives with the rest of the agent's fd I/O in core/common/fd_io.h.
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "core/common/fd_io.h"
