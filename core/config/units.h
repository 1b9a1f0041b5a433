#pragma once
// Sizes ("64MiB", "1MB", "4096") and durations ("500ms", "5s", "1m30s", "2h", "1d").
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace auditrelay {

std::optional<uint64_t> parse_size(std::string_view text);
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace auditrelay
