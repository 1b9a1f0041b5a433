#pragma once
// Encodes an Event as one compact audit-schema JSON object (no trailing newline).
#include <string>
#include <vector>

#include "coder/event/event.h"
#include "coder/event/redaction.h"

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

class JsonWriter;

// Parts of the audit/v1 encoding the other schemas (coder/schemas) reuse, with the same
// redaction and depth rules: Coder's diff, an open object (additional_fields), the unmapped
// source fields, and the source object.
void write_diff_object(JsonWriter& w, const Value& diff, const Redaction& r, EncodeStats& stats);
void write_open_object(JsonWriter& w, const Value& object, const Redaction& r, EncodeStats& stats);
void write_fields_object(JsonWriter& w, const std::vector<const Field*>& fields, const Redaction& r,
                         EncodeStats& stats);
void write_source_object(JsonWriter& w, const Event& e);
// diff, additional_fields, fields and source: what the source said as it said it (redacted),
// which the other schemas keep under their own name for it (OCSF unmapped, ECS coder).
void write_source_members(JsonWriter& w, const Event& e, const Redaction& r, EncodeStats& stats);
bool has_resource(const Event& e);
void write_resource_object(JsonWriter& w, const Event& e);
bool has_workspace(const Event& e);
void write_workspace_object(JsonWriter& w, const Event& e);
bool has_template(const Event& e);
void write_template_object(JsonWriter& w, const Event& e);
void write_alert_object(JsonWriter& w, const Event& e);  // when e.alert_rule is set
bool has_diff(const Event& e);                           // a non-empty diff object
bool has_additional_fields(const Event& e);              // a non-empty additional_fields object

}  // namespace auditrelay
