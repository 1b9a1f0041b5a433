#pragma once
#include <cstdint>
#include <string_view>

namespace auditrelay {

enum class Severity : uint8_t { Debug, Info, Warn, Error, Critical, Fatal };

constexpr std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Debug:
      return "debug";
    case Severity::Info:
      return "info";
    case Severity::Warn:
      return "warn";
    case Severity::Error:
      return "error";
    case Severity::Critical:
      return "critical";
    case Severity::Fatal:
      return "fatal";
  }
  return "info";
}

// Accepts the schema names and the spellings of Coder's formats (INFO, WARNING, erro, crit, ...).
bool parse_severity(std::string_view text, Severity& out);

}  // namespace auditrelay
