#pragma once
// FORMATS.md §4.5: ANSI colour codes and a "[NAME] " launcher prefix are stripped before a line
// is classified or parsed; §4.6: the shape of a human entry's first line.
#include <string>
#include <string_view>

#include "core/common/arena.h"

namespace auditrelay::formats {

// Removes every ESC[...m sequence; returns line itself when it has none (the common case),
// else a copy in arena (padded for simdjson).
std::string_view strip_ansi(std::string_view line, Arena& arena);
// Same, into a caller buffer (framers, which have no arena).
std::string_view strip_ansi(std::string_view line, std::string& buf);
// Removes an optional leading "[NAME] ".
std::string_view strip_launcher_prefix(std::string_view line);

// "2025-09-16 06:56:16.151 [info]  " at the start of a line.
bool is_human_header(std::string_view line);
// A continuation of an open human entry: empty, or 4+ leading spaces.
inline bool is_continuation(std::string_view line) {
  return line.empty() || (line.size() >= 4 && line.substr(0, 4) == "    ");
}
// Whether a human header line announces a multi-line block (" ..." at the end, or a message that
// is "..." because it moved into the block).
bool announces_block(std::string_view header_line);

}  // namespace auditrelay::formats
