#pragma once
// Maps one parsed Coder entry into the audit schema v1 (shared/spec/audit-schema.md).
#include "core/common/arena.h"
#include "coder/event/event.h"
#include "core/event/format.h"
#include "core/event/parsed_entry.h"
#include "core/event/record.h"

namespace auditrelay::coder {

struct RecordContext {
  const SourceInfo* source = nullptr;
  uint64_t offset = 0;
  bool has_offset = true;
  Timestamp wrapper_time;
  Timestamp observed;
  uint8_t wrapper_severity = Record::kNoWrapperSeverity;  // used when the entry has no level
  std::string_view source_attrs;                          // Record::source_attrs_*
};

// Fills `out` from `entry`. Strings the normalizer makes (targets, error summaries, derived ids)
// live in scratch.arena until the scratch is reset.
void normalize(const ParsedEntry& entry, const RecordContext& ctx, ParseScratch& scratch, Event& out);

// The stable id of a record without a Coder ID: UUIDv5 of input, source identity and offset.
void derive_event_id(const RecordContext& ctx, Event& out);

// Flattens Coder's error value (string, xerrors chain array, object, null) to one line.
// `buf` is scratch space whose capacity is reused.
std::string_view flatten_error(const Value& v, Arena& arena, std::string& buf);

}  // namespace auditrelay::coder
