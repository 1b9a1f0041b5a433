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

// Attributes outputs need without re-parsing the JSON (envelopes, topics, keys). The block is
// schema-agnostic: the schema layer that fills it says what the category, the class and each
// text slot hold (and the record codec stores them as they are).
struct EventMeta {
  static constexpr size_t kTextSlots = 5;
  Timestamp time;
  Severity severity = Severity::Info;
  uint8_t category = 0;   // the schema's kind of event (below 0x80: the codec flags the top bit)
  uint16_t class_id = 0;  // the schema's finer class of the event (for topics and sourcetypes)
  std::array<Slice, kTextSlots> text{};  // strings in EncodedBatch::attrs, named by the schema
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
  std::string attrs;  // strings referenced by EventMeta::text slices
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
