// Audit records (message "audit_log"): Coder's audit log entry, from a JSON log, a human log or
// a v1 audit entry (whose record normalize() has already flattened out of fields.audit_log).
#include "coder/normalize/mapping.h"

namespace auditrelay::coder::mapping {
namespace {

std::string_view element_text(simdjson::dom::element el) {
  std::string_view s;
  if (!el.get_string().get(s)) return clean_text(s);
  return {};
}

// A value holding JSON: already an element (JSON logs), or a string of JSON (human logs, or a
// JSON log that quoted it) decoded with the scratch parser. Returns Absent when unusable.
Value as_json_object(const Value& v, ParseScratch& scratch) {
  if (v.type == Value::Type::Json) return v;
  if (v.type == Value::Type::String) {
    std::string_view t = trim(v.text);
    if (t.empty() || t.front() != '{') return {};
    simdjson::dom::element el;
    if (scratch.parse_json(t).get(el)) return {};
    return value_from_element(el);
  }
  return {};
}

// The human format's actor: "&{ID:<uuid> Email:<email> Username:<name>}".
void parse_go_actor(std::string_view s, std::string_view& id, std::string_view& email,
                    std::string_view& username) {
  if (!s.starts_with("&{") || !s.ends_with("}")) return;
  s = s.substr(2, s.size() - 3);
  auto take = [&](std::string_view label, std::string_view next_label) -> std::string_view {
    size_t p = s.find(label);
    if (p == std::string_view::npos) return {};
    size_t start = p + label.size();
    size_t end = next_label.empty() ? s.size() : s.find(next_label, start);
    if (end == std::string_view::npos) end = s.size();
    return s.substr(start, end - start);
  };
  id = clean_text(take("ID:", " Email:"));
  email = clean_text(take(" Email:", " Username:"));
  username = clean_text(take(" Username:", {}));
}

// The Actor field: an object (JSON logs) or Go's rendering of one (human logs). Its ID, when it
// has one, replaces UserID.
void map_actor(const Value& actor, Event& e) {
  std::string_view id, email, username;
  if (actor.type == Value::Type::Json && actor.el.is_object()) {
    for (auto kv : object_of(actor.el)) {
      if (iequals(kv.key, "id"))
        id = element_text(kv.value);
      else if (iequals(kv.key, "email"))
        email = element_text(kv.value);
      else if (iequals(kv.key, "username"))
        username = element_text(kv.value);
    }
  } else if (actor.type == Value::Type::String) {
    parse_go_actor(actor.text, id, email, username);
  }
  if (!id.empty()) e.actor.id = id;
  e.actor.username = username;
  e.actor.email = email;
}

// AdditionalFields, kept whole, and the build and workspace facts Coder puts in it.
void map_additional_fields(const Value& af, ParseScratch& scratch, Event& e) {
  e.additional_fields = as_json_object(af, scratch);
  if (e.additional_fields.type != Value::Type::Json || !e.additional_fields.el.is_object()) return;
  for (auto kv : object_of(e.additional_fields.el)) {
    if (kv.key == "build_reason")
      e.build_reason = element_text(kv.value);
    else if (kv.key == "workspace_id")
      e.workspace.id = element_text(kv.value);
    else if (kv.key == "workspace_name")
      e.workspace.name = element_text(kv.value);
    else if (kv.key == "workspace_owner")
      e.workspace.owner_username = element_text(kv.value);
  }
}

// Coder v1 actions (audit-schema.md "Actions").
void map_v1_action(Event& e) {
  if (e.action == "auto_start") {
    e.action = "start";
    if (e.build_reason.empty()) e.build_reason = "autostart";
  } else if (e.action == "auto_off") {
    e.action = "stop";
    if (e.build_reason.empty()) e.build_reason = "autostop";
  } else if (e.action == "ssh") {
    e.action = "connect";
  }
}

}  // namespace

void map_audit(const MappedFields& f, Event& e) {
  map_id_and_time(f, e);
  e.action = f.text(Key::Action);
  e.actor.id = f.text(Key::UserId);
  e.actor.ip = f.text(Key::Ip);
  e.actor.user_agent = f.text(Key::UserAgent);
  if (const Value* actor = f.get(Key::Actor)) map_actor(*actor, e);
  e.resource.type = f.text(Key::ResourceType);
  e.resource.id = f.text(Key::ResourceId);
  e.resource.target = f.text(Key::ResourceTarget);
  e.resource.icon = f.text(Key::ResourceIcon);
  map_status(f.get(Key::StatusCode), e);
  e.request_id = f.text(Key::RequestId);
  e.organization_id = f.text(Key::OrganizationId);
  if (const Value* d = f.get(Key::Diff)) e.diff = as_json_object(*d, f.scratch());
  if (const Value* af = f.get(Key::AdditionalFields)) map_additional_fields(*af, f.scratch(), e);
  map_v1_action(e);
}

}  // namespace auditrelay::coder::mapping
