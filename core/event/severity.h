#pragma once
#include <cstdint>
#include <string_view>

namespace auditrelay {

enum class Severity : uint8_t { Debug, Info, Warn, Error, Critical, Fatal };

constexpr std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Debug: return "debug";
    case Severity::Info: return "info";
    case Severity::Warn: return "warn";
    case Severity::Error: return "error";
    case Severity::Critical: return "critical";
    case Severity::Fatal: return "fatal";
  }
  return "info";
}

// Accepts the schema names and the spellings of Coder's formats (INFO, WARNING, erro, crit, ...).
bool parse_severity(std::string_view text, Severity& out);

// The values are stored in disk buffers and spill journals: append, never reorder.
enum class Kind : uint8_t { Audit, Connection, Log, Boundary };
inline constexpr int kKindCount = 4;

constexpr std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Audit: return "audit";
    case Kind::Connection: return "connection";
    case Kind::Log: return "log";
    case Kind::Boundary: return "boundary";
  }
  return "log";
}

// The kind named `name`; false when there is none.
constexpr bool parse_kind(std::string_view name, Kind& out) {
  for (int k = 0; k < kKindCount; ++k) {
    if (kind_name(static_cast<Kind>(k)) == name) {
      out = static_cast<Kind>(k);
      return true;
    }
  }
  return false;
}

}  // namespace auditrelay
