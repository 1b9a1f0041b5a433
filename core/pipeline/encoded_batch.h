#pragma once
// Normalized events of one batch, encoded once per schema some output asks for (audit/v1, OCSF,
// ECS) and shared by every output.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/time.h"
#include "core/event/record.h"
#include "core/event/schema.h"
#include "core/event/severity.h"
#include "core/pipeline/ack.h"
#include "core/pipeline/memory_budget.h"

namespace auditrelay {

struct Slice {
  uint32_t offset = 0;
  uint32_t size = 0;
};

// Attributes outputs need without re-parsing the JSON (envelopes, topics, keys).
struct EventMeta {
  Timestamp time;
  Kind kind = Kind::Log;
  Severity severity = Severity::Info;
  Slice event_id, action, resource_type, alert_rule, workspace_id;
  uint16_t ocsf_class = 0;  // the event's OCSF class_uid (for topics and sourcetypes)
};

struct EncodedEvent {
  // The event in each schema (indexed by Schema), no trailing newline; a schema no output of
  // this event asks for is left empty.
  std::array<Slice, kSchemaCount> json{};
  uint64_t routes = 0;  // bit i set: output i wants this event
  EventMeta meta;
};

struct EncodedBatch {
  std::string json;   // encoded events back to back
  std::string attrs;  // strings referenced by EventMeta slices
  std::vector<EncodedEvent> events;
  std::shared_ptr<const SourceInfo> source;
  std::shared_ptr<AckToken> ack;
  uint64_t sequence = 0;
  Timestamp observed;  // when the input read it (for the delivery latency histogram)
  BudgetShare budget;  // its memory, counted in pipeline.max_in_flight until it is freed

  std::string_view event_json(const EncodedEvent& e, Schema s = Schema::AuditV1) const {
    Slice sl = e.json[static_cast<size_t>(s)];
    return {json.data() + sl.offset, sl.size};
  }
  std::string_view attr(Slice s) const { return {attrs.data() + s.offset, s.size}; }
};

}  // namespace auditrelay
