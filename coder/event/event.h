#pragma once
// One event in the audit schema v1 (shared/spec/audit-schema.md). Strings are views into the
// batch, the parser's scratch or static text; an empty view means "unknown" and is omitted.
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

#include "coder/event/kind.h"
#include "core/common/time.h"
#include "core/event/severity.h"
#include "core/event/value.h"

namespace auditrelay {

// Every member of an event but its unmapped fields: trivially copyable, so Event::clear() resets
// it in place with plain stores. The old clear built a whole Event and move-assigned it member
// by member: callgrind, normalize_bench (120k events), Event::clear 31.1M -> 15.5M Ir.
struct EventHead {
  Kind kind = Kind::Log;
  std::string_view event_id;
  char event_id_buf[36];  // for derived ids
  Timestamp time;
  Timestamp observed;
  Severity severity = Severity::Info;
  std::string_view logger, message, action, organization_id, request_id, build_reason, error;
  bool has_status = false;
  int64_t status_code = 0;

  struct {
    std::string_view id, username, email, ip, user_agent;
  } actor;
  struct {
    std::string_view type, id, target, icon;
  } resource;
  struct {
    std::string_view id, name, owner_id, owner_username, agent_name;
  } workspace;
  struct {
    std::string_view id, type, status, slug_or_port, disconnect_reason;
  } connection;
  struct {
    std::string_view id, version_id;
  } template_;  // "template" is a keyword
  struct {
    std::string_view method, url, host;
  } http;
  struct {
    std::string_view decision, matched_rule;
  } boundary;

  Value diff;               // Json object (Coder's Diff), or Absent
  Value additional_fields;  // Json object, or Absent
  std::string_view alert_rule, alert_summary;

  struct {
    std::string_view input, type, format, path, host;
    uint64_t offset = 0;
    bool has_offset = false;
    std::string_view k8s_namespace, k8s_pod, k8s_container;
    std::string_view attrs;  // JSON members the input added (the journal's unit, pid, cursor)
  } source;
};

static_assert(std::is_trivially_copyable_v<EventHead>);

struct Event : EventHead {
  std::vector<const Field*> fields;  // unmapped source fields, in source order

  // Keeps the fields vector's capacity.
  void clear() {
    static_cast<EventHead&>(*this) = EventHead{};
    fields.clear();
  }
};

}  // namespace auditrelay
