#pragma once
// What an event in the audit schema v1 is about (its `kind`). The pipeline carries it in
// EventMeta::category (coder/event/event_attributes.h).
#include <cstdint>
#include <string_view>

namespace auditrelay {

// The values are stored in disk buffers and spill journals: append, never reorder.
enum class Kind : uint8_t { Audit, Connection, Log, Boundary };
inline constexpr int kKindCount = 4;

constexpr std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Audit:
      return "audit";
    case Kind::Connection:
      return "connection";
    case Kind::Log:
      return "log";
    case Kind::Boundary:
      return "boundary";
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
