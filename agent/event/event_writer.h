#pragma once
// Encodes an Event as one compact audit-schema JSON object (no trailing newline).
#include <string>

#include "agent/event/event.h"
#include "agent/event/redaction.h"

namespace auditrelay {

// The deepest nesting written inside one value (a field, additional_fields, a diff side): an
// object or array at this depth (the value itself is depth 1) becomes a JSON string of its
// compact text, so every event stays within what receivers parse (docs/audit-schema.md).
inline constexpr int kMaxValueDepth = 32;

// What encoding one event noticed, for the caller's counters.
struct EncodeStats {
  uint64_t deep_values = 0;  // values written as a string at kMaxValueDepth
};

// observed_rfc3339: e.observed already formatted (the same for a whole batch); empty = format it.
void write_event_json(const Event& e, const Redaction& redaction, std::string& out,
                      std::string_view observed_rfc3339 = {}, EncodeStats* stats = nullptr);

}  // namespace auditrelay
