#pragma once
// The parts normalize() (coder/normalizer.cpp) is made of: the source keys it maps, the one
// pass that sorts an entry's fields into them, and one mapper per kind that fills the event
// from them. Internal to coder/normalizer.cpp and coder/normalize/.
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "coder/event/event.h"
#include "coder/null_like.h"
#include "core/common/arena.h"
#include "core/common/strings.h"
#include "core/common/time.h"
#include "core/event/format.h"
#include "core/event/value.h"

namespace auditrelay::coder::mapping {

// Source keys the normalizer maps, compared case-insensitively (the table is in keys.cpp).
enum class Key : uint8_t {
  None,
  Id,
  Time,
  UserId,
  OrganizationId,
  Ip,
  UserAgent,
  ResourceType,
  ResourceId,
  ResourceTarget,
  ResourceIcon,
  Action,
  Diff,
  StatusCode,
  AdditionalFields,
  Actor,
  RequestId,
  WorkspaceOwnerId,
  WorkspaceId,
  WorkspaceName,
  AgentName,
  Type,
  Code,
  SlugOrPort,
  ConnectionId,
  DisconnectReason,
  ConnectionStatus,
  Error,
  Reason,
  Owner,
  Decision,
  TemplateId,
  TemplateVersionId,
  HttpMethod,
  HttpUrl,
  EventTime,
  MatchedRule,
  Count,  // not a key: the number of keys
};

// A value as text: a view of the source where it already is text, else its text form (a number,
// a bool) copied to the arena.
inline std::string_view value_text(const Value& v, Arena& arena) {
  char buf[24];
  std::string_view t = text_of(v, buf);
  if (t.data() == buf) return arena.copy(t);
  return t;
}

inline bool value_int(const Value& v, int64_t& out) {
  switch (v.type) {
    case Value::Type::Int:
      out = v.i;
      return true;
    case Value::Type::UInt:
      out = static_cast<int64_t>(v.u);
      return true;
    case Value::Type::Double:
      out = static_cast<int64_t>(v.d);
      return true;
    case Value::Type::Number:
    case Value::Type::String:
      return parse_int64(clean_text(v.text), out);
    default:
      return false;
  }
}

// The source fields of one entry the mappers read, one slot per key, and the scratch that the
// strings they derive (targets, error summaries, decoded JSON) go to.
class MappedFields {
 public:
  explicit MappedFields(ParseScratch& scratch) : scratch_(scratch) {}

  void set(Key k, const Field& f) { slots_[static_cast<size_t>(k)] = &f; }
  const Value* get(Key k) const {
    const Field* f = slots_[static_cast<size_t>(k)];
    return f ? &f->value : nullptr;
  }
  // Empty when the key is absent.
  std::string_view text(Key k) const {
    const Value* v = get(k);
    return v ? value_text(*v, scratch_.arena) : std::string_view{};
  }
  ParseScratch& scratch() const { return scratch_; }
  Arena& arena() const { return scratch_.arena; }

 private:
  std::array<const Field*, static_cast<size_t>(Key::Count)> slots_{};
  ParseScratch& scratch_;
};

// One pass over an entry's fields: a key the kind maps goes to its slot, where the last
// occurrence wins (Coder may repeat keys); any other non-null field goes to `unmapped`, where
// a repeated key replaces the earlier one.
void collect_fields(const std::vector<Field>& fields, Kind kind, MappedFields& mapped,
                    std::vector<const Field*>& unmapped);

// Coder's ID and Time, which audit and connection records both carry.
inline void map_id_and_time(const MappedFields& f, Event& e) {
  e.event_id = f.text(Key::Id);
  if (const Value* t = f.get(Key::Time)) parse_any_time(value_text(*t, f.arena()), e.time);
}

// An HTTP status or exit code, when the value is a number.
inline void map_status(const Value* v, Event& e) {
  int64_t code;
  if (v && value_int(*v, code)) {
    e.has_status = true;
    e.status_code = code;
  }
}

// One mapper per kind. Each sets e.time only from the event's own time, and leaves it invalid
// when there is none: normalize() then falls back to the entry's, the wrapper's or the observed.
void map_audit(const MappedFields& f, Event& e);       // audit.cpp
void map_connection(const MappedFields& f, Event& e);  // connection.cpp
void map_boundary(const MappedFields& f, Event& e);    // boundary.cpp
void map_log(const MappedFields& f, Event& e);         // log.cpp

}  // namespace auditrelay::coder::mapping
