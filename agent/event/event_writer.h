#pragma once
// Encodes an Event as one compact audit-schema JSON object (no trailing newline).
#include <string>

#include "agent/event/event.h"
#include "agent/event/redaction.h"

namespace auditrelay {

// observed_rfc3339: e.observed already formatted (the same for a whole batch); empty = format it.
void write_event_json(const Event& e, const Redaction& redaction, std::string& out,
                      std::string_view observed_rfc3339 = {});

// Writes a source value as JSON, redacting keys of nested objects.
class JsonWriter;
void write_value(JsonWriter& w, const Value& v, const Redaction& redaction);

}  // namespace auditrelay
