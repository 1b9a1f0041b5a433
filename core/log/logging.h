#pragma once
// The agent's own logs: spdlog to stderr, one JSON object per line or human-readable text.
#include <string>

namespace auditrelay {

enum class LogFormat { Json, Text };

// "json", "text" or "" (auto: json inside a container, text on a terminal or host).
bool setup_logging(const std::string& format, const std::string& level, std::string& error);

}  // namespace auditrelay
