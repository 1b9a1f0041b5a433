#pragma once
// The schemas an output can receive events in (its `schema` option). Every event is encoded
// once per schema that some output it is routed to asks for, never once per output.
#include <cstdint>
#include <string_view>

namespace auditrelay {

enum class Schema : uint8_t { AuditV1, Ocsf, Ecs };
inline constexpr int kSchemaCount = 3;

constexpr std::string_view schema_name(Schema s) {
  switch (s) {
    case Schema::AuditV1: return "audit_v1";
    case Schema::Ocsf: return "ocsf";
    case Schema::Ecs: return "ecs";
  }
  return "audit_v1";
}

// How an event names its schema where a header or field carries it (Kafka's `schema` header).
constexpr std::string_view schema_label(Schema s) {
  switch (s) {
    case Schema::AuditV1: return "audit/v1";
    case Schema::Ocsf: return "ocsf/1.2.0";
    case Schema::Ecs: return "ecs/8.17.0";
  }
  return "audit/v1";
}

// false when name is none of audit_v1, ocsf, ecs.
constexpr bool parse_schema(std::string_view name, Schema& out) {
  for (Schema s : {Schema::AuditV1, Schema::Ocsf, Schema::Ecs}) {
    if (schema_name(s) == name) {
      out = s;
      return true;
    }
  }
  return false;
}

inline constexpr std::string_view kSchemaChoices = "audit_v1, ocsf or ecs";

}  // namespace auditrelay
