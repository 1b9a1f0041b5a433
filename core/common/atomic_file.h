#pragma once
// Replaces a file so that a reader (or the next start after a crash) sees the old content or the
// new, never a mix: write a temp file, fsync it, rename it over, fsync the directory.
#include <string>
#include <string_view>

namespace auditrelay {

// false with `error` set (errno text) when any step failed. When writing the temp file
// (<path>.tmp) or the rename failed, the old file is untouched; when only the directory's fsync
// failed, the new content is in place but a crash may still bring the old back.
bool write_file_atomically(const std::string& path, std::string_view data, std::string& error);

}  // namespace auditrelay
