#pragma once
// What the pipeline's schema-agnostic attribute block (EventMeta) holds for a Coder event: its
// kind in the category byte, its OCSF class_uid as the class id, and five strings in the text
// slots. The processor fills the block; outputs read it through these names.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "coder/event/kind.h"
#include "core/pipeline/encoded_batch.h"

namespace auditrelay {

// The text slots of EventMeta. Disk buffers and spill journals store them in this order:
// append, never reorder.
enum class TextAttr : uint8_t { EventId, Action, ResourceType, AlertRule, WorkspaceId };
inline constexpr size_t kTextAttrCount = 5;
static_assert(kTextAttrCount <= EventMeta::kTextSlots);

// A category no kind has (a newer writer's, or a damaged byte) reads as a log event.
constexpr Kind kind(const EventMeta& m) {
  return m.category < kKindCount ? static_cast<Kind>(m.category) : Kind::Log;
}
constexpr void set_kind(EventMeta& m, Kind k) {
  m.category = static_cast<uint8_t>(k);
}

// The event's OCSF class_uid (for topics and sourcetypes), whatever schema the output sends.
constexpr uint16_t ocsf_class(const EventMeta& m) {
  return m.class_id;
}
constexpr void set_ocsf_class(EventMeta& m, uint16_t class_uid) {
  m.class_id = class_uid;
}

constexpr Slice& slot(EventMeta& m, TextAttr a) {
  return m.text[static_cast<size_t>(a)];
}
constexpr Slice slot(const EventMeta& m, TextAttr a) {
  return m.text[static_cast<size_t>(a)];
}
// The string in slot `a` of an event of batch `b` (empty when the event has none).
inline std::string_view text(const EncodedBatch& b, const EventMeta& m, TextAttr a) {
  return b.attr(slot(m, a));
}

}  // namespace auditrelay
