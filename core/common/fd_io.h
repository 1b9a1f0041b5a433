#pragma once
// Whole-buffer I/O on file descriptors. ::write and ::pread may move fewer bytes than asked (a
// pipe or socket with a slow reader, a signal arriving), so every caller that needs all of them
// loops; this is that loop, written once. And the directory fsync that makes a newly created or
// renamed file's name durable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace auditrelay {

// Writes every byte of `data`, retrying short writes and EINTR. false (errno set) on an error.
bool write_all(int fd, std::string_view data);

// Reads exactly `n` bytes at `offset` into `out` (resized to n). false on an error, or when the
// file ends first.
bool pread_exact(int fd, uint64_t offset, size_t n, std::string& out);

// fsyncs directory `dir`, so that the entries just created or renamed in it survive a crash.
// false with `error` set (errno text) when it could not be done.
bool sync_directory(const std::string& dir, std::string& error);

}  // namespace auditrelay
