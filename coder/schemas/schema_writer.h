#pragma once
// Encodes a normalized event in one of the schemas outputs can ask for (core/event/schema.h):
// audit/v1 (coder/event/event_writer.h), OCSF 1.2.0 or ECS 8.x. Same redaction and depth rules
// for all three; docs/audit-schema.md has the mapping tables.
#include <string>
#include <string_view>

#include "coder/event/event.h"
#include "coder/event/event_writer.h"
#include "coder/event/redaction.h"
#include "core/event/schema.h"

namespace auditrelay::coder {

// What every encoding of one batch shares: the redaction, the observed time (formatted once
// per batch for audit/v1), and the counters.
struct EncodeContext {
  const Redaction& redaction;
  std::string_view observed_rfc3339;
  EncodeStats* stats = nullptr;
};

void write_event_ocsf(const Event& e, const EncodeContext& ctx, std::string& out);
void write_event_ecs(const Event& e, const EncodeContext& ctx, std::string& out);
void write_event(Schema schema, const Event& e, const EncodeContext& ctx, std::string& out);

// The versions written into every event (schema_label in core/event/schema.h says the same).
inline constexpr std::string_view kOcsfVersion = "1.2.0";
inline constexpr std::string_view kEcsVersion = "8.17.0";
static_assert(schema_label(Schema::Ocsf).substr(5) == kOcsfVersion);
static_assert(schema_label(Schema::Ecs).substr(4) == kEcsVersion);

}  // namespace auditrelay::coder
