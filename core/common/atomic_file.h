#pragma once
// Replaces a file so that a reader (or the next start after a crash) sees the old content or the
// new, never a mix: write a temp file, fsync it, rename it over, fsync the directory.
#include <string>
#include <string_view>

namespace auditrelay {

// false with `error` set (errno text) when any step failed; the old file is then untouched.
bool write_file_atomically(const std::string& path, std::string_view data, std::string& error);

}  // namespace auditrelay
