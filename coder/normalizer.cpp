#include "coder/normalizer.h"

#include <charconv>
#include <cstring>

#include "core/common/strings.h"
#include "core/common/uuid.h"
#include "coder/null_like.h"

namespace auditrelay::coder {
namespace {

// Source keys the normalizer maps, compared case-insensitively.
enum class Key : uint8_t {
  None, Id, Time, UserId, OrganizationId, Ip, UserAgent, ResourceType, ResourceId, ResourceTarget,
  ResourceIcon, Action, Diff, StatusCode, AdditionalFields, Actor, RequestId, WorkspaceOwnerId,
  WorkspaceId, WorkspaceName, AgentName, Type, Code, SlugOrPort, ConnectionId, DisconnectReason,
  ConnectionStatus, Error, Reason, Owner, Decision, TemplateId, TemplateVersionId, HttpMethod,
  HttpUrl, EventTime, MatchedRule,
  Count,  // not a key: the number of keys
};

struct KeyName {
  std::string_view name;
  Key key;
  uint8_t kinds;  // the kinds whose entries map this key
};

constexpr uint8_t A = 1, C = 2, L = 4, B = 8;  // audit, connection, log, boundary

constexpr KeyName kKeys[] = {
    {"id", Key::Id, A | C},
    {"time", Key::Time, A | C},
    {"userid", Key::UserId, A | C},
    {"organizationid", Key::OrganizationId, A | C},
    {"ip", Key::Ip, A | C},
    {"useragent", Key::UserAgent, A | C},
    {"resourcetype", Key::ResourceType, A},
    {"resourceid", Key::ResourceId, A},
    {"resourcetarget", Key::ResourceTarget, A},
    {"resourceicon", Key::ResourceIcon, A},
    {"action", Key::Action, A},
    {"diff", Key::Diff, A},
    {"statuscode", Key::StatusCode, A},
    {"additionalfields", Key::AdditionalFields, A},
    {"requestid", Key::RequestId, A | C | L | B},
    {"actor", Key::Actor, A},
    {"workspaceownerid", Key::WorkspaceOwnerId, C},
    {"workspaceid", Key::WorkspaceId, C | L | B},
    {"workspacename", Key::WorkspaceName, C | L | B},
    {"agentname", Key::AgentName, C | B},
    {"type", Key::Type, C},
    {"code", Key::Code, C},
    {"slugorport", Key::SlugOrPort, C},
    {"connectionid", Key::ConnectionId, C},
    {"disconnectreason", Key::DisconnectReason, C},
    {"closereason", Key::DisconnectReason, C},
    {"connectionstatus", Key::ConnectionStatus, C},
    {"error", Key::Error, A | C | L},
    {"reason", Key::Reason, L},
    {"owner", Key::Owner, B},
    {"decision", Key::Decision, B},
    {"templateid", Key::TemplateId, B},
    {"templateversionid", Key::TemplateVersionId, B},
    {"httpmethod", Key::HttpMethod, B},
    {"httpurl", Key::HttpUrl, B},
    {"eventtime", Key::EventTime, B},
    {"matchedrule", Key::MatchedRule, B},
};

// Compares a source key with a table name ignoring case and underscores, so that Coder's
// PascalCase (RequestID), v1's snake_case (request_id) and context fields all meet.
bool key_equals(std::string_view key, std::string_view name) {
  size_t j = 0;
  for (char c : key) {
    if (c == '_') continue;
    if (j >= name.size() || ascii_lower(c) != name[j]) return false;
    ++j;
  }
  return j == name.size();
}

// Table entries by the lower-cased first letter of their name, so a key is compared with the
// one or two names that can match instead of all of them.
struct KeyIndex {
  uint8_t start[27] = {};
  uint8_t order[sizeof(kKeys) / sizeof(kKeys[0])] = {};
  constexpr KeyIndex() {
    size_t n = 0;
    for (int letter = 0; letter < 26; ++letter) {
      start[letter] = static_cast<uint8_t>(n);
      for (size_t i = 0; i < sizeof(kKeys) / sizeof(kKeys[0]); ++i)
        if (kKeys[i].name[0] == 'a' + letter) order[n++] = static_cast<uint8_t>(i);
    }
    start[26] = static_cast<uint8_t>(n);
  }
};
constexpr KeyIndex kKeyIndex;

Key classify(std::string_view key, uint8_t kind_bit) {
  if (key.empty()) return Key::None;
  char first = ascii_lower(key[0]);
  if (first < 'a' || first > 'z') return Key::None;
  int letter = first - 'a';
  for (size_t j = kKeyIndex.start[letter]; j < kKeyIndex.start[letter + 1]; ++j) {
    const auto& k = kKeys[kKeyIndex.order[j]];
    if (key.size() >= k.name.size() && key.size() <= k.name.size() + 3 && (k.kinds & kind_bit) &&
        key_equals(key, k.name))
      return k.key;
  }
  return Key::None;
}

constexpr size_t kSlots = static_cast<size_t>(Key::Count);

std::string_view str(const Value& v, Arena& arena) {
  char buf[24];
  std::string_view t = text_of(v, buf);
  if (t.data() == buf) return arena.copy(t);
  return t;
}

bool int_of(const Value& v, int64_t& out) {
  switch (v.type) {
    case Value::Type::Int: out = v.i; return true;
    case Value::Type::UInt: out = static_cast<int64_t>(v.u); return true;
    case Value::Type::Double: out = static_cast<int64_t>(v.d); return true;
    case Value::Type::Number:
    case Value::Type::String: return parse_int64(clean_text(v.text), out);
    default: return false;
  }
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

std::string_view element_text(simdjson::dom::element el) {
  std::string_view s;
  if (!el.get_string().get(s)) return clean_text(s);
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

bool scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '+' || c == '-' || c == '.';
}

// The host of a fully qualified URL, lower-case, without user info, port or IPv6 brackets;
// empty for a path-only URL (the first boundary releases logged only the path).
std::string_view url_host(std::string_view url, Arena& arena) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return {};
  for (size_t i = 0; i < sep; ++i)
    if (!scheme_char(url[i])) return {};
  std::string_view authority = url.substr(sep + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    host = close == std::string_view::npos ? std::string_view{} : host.substr(1, close - 1);
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  bool lower = true;
  for (char c : host) lower = lower && ascii_lower(c) == c;
  if (lower || host.empty()) return host;
  char* p = arena.allocate(host.size());
  for (size_t i = 0; i < host.size(); ++i) p[i] = ascii_lower(host[i]);
  return {p, host.size()};
}

// Go's zero time, which Coder writes for an unknown event_time.
bool is_zero_time(std::string_view t) { return t.starts_with("0001-01-01T00:00:00"); }

void append(std::string& s, std::string_view part) {
  if (part.empty()) return;
  if (!s.empty()) s += ": ";
  s += part;
}

}  // namespace

std::string_view flatten_error(const Value& v, Arena& arena, std::string& out) {
  switch (v.type) {
    case Value::Type::String: return clean_text(v.text).empty() ? std::string_view{} : v.text;
    case Value::Type::Json: {
      out.clear();
      simdjson::dom::array arr;
      simdjson::dom::object obj;
      if (!v.el.get_array().get(arr)) {
        for (auto item : arr) {
          std::string_view s;
          simdjson::dom::object o;
          if (!item.get_string().get(s)) {
            append(out, s);
          } else if (!item.get_object().get(o)) {
            std::string_view m;
            if (!o["msg"].get_string().get(m)) append(out, m);
            else if (!o["message"].get_string().get(m)) append(out, m);
          }
        }
      } else if (!v.el.get_object().get(obj)) {
        std::string_view m, d;
        bool has_m = !obj["message"].get_string().get(m);
        bool has_d = !obj["detail"].get_string().get(d);
        if (!has_m && !obj["msg"].get_string().get(m)) has_m = true;
        if (has_m) {
          out = m;
          if (has_d && !d.empty()) append(out, d);
        } else {
          out = simdjson::minify(v.el);
        }
      }
      if (out.empty()) return {};
      return arena.copy(out);
    }
    case Value::Type::Absent:
    case Value::Type::Null: return {};
    default: {
      char buf[24];
      return arena.copy(text_of(v, buf));
    }
  }
}

void derive_event_id(const RecordContext& ctx, Event& out) {
  char name[512];
  size_t n = 0;
  auto put = [&](std::string_view s) {
    size_t take = std::min(s.size(), sizeof(name) - n - 1);
    if (take) std::memcpy(name + n, s.data(), take);
    n += take;
  };
  if (ctx.source) {
    put(ctx.source->input);
    name[n++] = '\0';
    put(ctx.source->identity.empty() ? ctx.source->path : ctx.source->identity);
    name[n++] = '\0';
  }
  char num[24];
  auto r = std::to_chars(num, num + sizeof num, ctx.offset);
  put(std::string_view(num, static_cast<size_t>(r.ptr - num)));
  Uuid u = uuid_v5(kAuditrelayNamespace, std::string_view(name, n));
  format_uuid(u, out.event_id_buf);
  out.event_id = std::string_view(out.event_id_buf, 36);
}

void normalize(const ParsedEntry& entry, const RecordContext& ctx, ParseScratch& scratch, Event& e) {
  Arena& arena = scratch.arena;
  e.clear();
  e.severity = entry.severity;
  // A line in no known format has no level of its own; its wrapper's (journal PRIORITY) is better
  // than a guess.
  if (entry.raw && ctx.wrapper_severity != Record::kNoWrapperSeverity)
    e.severity = static_cast<Severity>(ctx.wrapper_severity);
  e.logger = entry.logger;
  e.message = entry.message;
  e.observed = ctx.observed;
  if (ctx.source) {
    e.source.input = ctx.source->input;
    e.source.type = ctx.source->type;
    e.source.path = ctx.source->path;
    e.source.host = ctx.source->host;
    e.source.k8s_namespace = ctx.source->k8s_namespace;
    e.source.k8s_pod = ctx.source->k8s_pod;
    e.source.k8s_container = ctx.source->k8s_container;
  }
  e.source.format = entry.format;
  e.source.offset = ctx.offset;
  e.source.has_offset = ctx.has_offset;
  e.source.attrs = ctx.source_attrs;

  const std::vector<Field>* fields = &entry.fields;

  // Kind. A v1 audit entry nests the record under fields.audit_log.
  uint8_t kind_bit = L;
  std::vector<Field>& nested = scratch.nested_fields;
  nested.clear();
  if (entry.message == "audit_log") {
    e.kind = Kind::Audit;
    kind_bit = A;
    for (const auto& f : entry.fields) {
      if (iequals(f.key, "audit_log") && f.value.type == Value::Type::Json && f.value.el.is_object()) {
        for (auto kv : object_of(f.value.el))
          nested.push_back(Field{kv.key, value_from_element(kv.value)});
      }
    }
    if (!nested.empty()) {
      for (const auto& f : entry.fields)
        if (!iequals(f.key, "audit_log")) nested.push_back(f);
      fields = &nested;
    }
  } else if (entry.message == "connection_log") {
    e.kind = Kind::Connection;
    kind_bit = C;
  } else if (entry.message == "boundary_request") {
    e.kind = Kind::Boundary;
    kind_bit = B;
  } else {
    e.kind = Kind::Log;
  }

  // One pass over the fields: the last occurrence of a key wins (Coder may repeat keys).
  const Field* slot[kSlots] = {};
  for (const auto& f : *fields) {
    Key k = classify(f.key, kind_bit);
    if (k != Key::None) {
      slot[static_cast<size_t>(k)] = &f;
      continue;
    }
    if (is_null_like(f.value)) continue;
    // A repeated unmapped key replaces the earlier one.
    bool replaced = false;
    for (auto& prev : e.fields) {
      if (prev->key.size() == f.key.size() && prev->key == f.key) {
        prev = &f;
        replaced = true;
        break;
      }
    }
    if (!replaced) e.fields.push_back(&f);
  }
  auto get = [&](Key k) -> const Value* {
    const Field* f = slot[static_cast<size_t>(k)];
    return f ? &f->value : nullptr;
  };
  auto text = [&](Key k) -> std::string_view {
    const Value* v = get(k);
    return v ? str(*v, arena) : std::string_view{};
  };

  if (const Value* err = get(Key::Error)) e.error = flatten_error(*err, arena, scratch.text_a);

  Timestamp event_time;
  if (e.kind == Kind::Audit) {
    e.event_id = text(Key::Id);
    if (const Value* t = get(Key::Time)) parse_any_time(str(*t, arena), event_time);
    e.action = text(Key::Action);
    e.actor.id = text(Key::UserId);
    e.actor.ip = text(Key::Ip);
    e.actor.user_agent = text(Key::UserAgent);
    if (const Value* actor = get(Key::Actor)) {
      std::string_view id, email, username;
      if (actor->type == Value::Type::Json && actor->el.is_object()) {
        for (auto kv : object_of(actor->el)) {
          if (iequals(kv.key, "id")) id = element_text(kv.value);
          else if (iequals(kv.key, "email")) email = element_text(kv.value);
          else if (iequals(kv.key, "username")) username = element_text(kv.value);
        }
      } else if (actor->type == Value::Type::String) {
        parse_go_actor(actor->text, id, email, username);
      }
      if (!id.empty()) e.actor.id = id;
      e.actor.username = username;
      e.actor.email = email;
    }
    e.resource.type = text(Key::ResourceType);
    e.resource.id = text(Key::ResourceId);
    e.resource.target = text(Key::ResourceTarget);
    e.resource.icon = text(Key::ResourceIcon);
    int64_t code;
    if (const Value* sc = get(Key::StatusCode); sc && int_of(*sc, code)) {
      e.has_status = true;
      e.status_code = code;
    }
    e.request_id = text(Key::RequestId);
    e.organization_id = text(Key::OrganizationId);
    if (const Value* d = get(Key::Diff)) e.diff = as_json_object(*d, scratch);
    if (const Value* af = get(Key::AdditionalFields)) {
      e.additional_fields = as_json_object(*af, scratch);
      if (e.additional_fields.type == Value::Type::Json && e.additional_fields.el.is_object()) {
        for (auto kv : object_of(e.additional_fields.el)) {
          if (kv.key == "build_reason") e.build_reason = element_text(kv.value);
          else if (kv.key == "workspace_id") e.workspace.id = element_text(kv.value);
          else if (kv.key == "workspace_name") e.workspace.name = element_text(kv.value);
          else if (kv.key == "workspace_owner") e.workspace.owner_username = element_text(kv.value);
        }
      }
    }
    // Coder v1 actions (audit-schema.md "Actions").
    if (e.action == "auto_start") {
      e.action = "start";
      if (e.build_reason.empty()) e.build_reason = "autostart";
    } else if (e.action == "auto_off") {
      e.action = "stop";
      if (e.build_reason.empty()) e.build_reason = "autostop";
    } else if (e.action == "ssh") {
      e.action = "connect";
    }
  } else if (e.kind == Kind::Connection) {
    e.event_id = text(Key::Id);
    if (const Value* t = get(Key::Time)) parse_any_time(str(*t, arena), event_time);
    e.connection.id = text(Key::ConnectionId);
    e.connection.type = text(Key::Type);
    e.connection.status = text(Key::ConnectionStatus);
    e.connection.slug_or_port = text(Key::SlugOrPort);
    e.connection.disconnect_reason = text(Key::DisconnectReason);
    if (const Value* code = get(Key::Code)) {
      int64_t c;
      if (int_of(*code, c)) {
        e.has_status = true;
        e.status_code = c;
      }
    }
    e.actor.id = text(Key::UserId);
    e.actor.ip = text(Key::Ip);
    e.actor.user_agent = text(Key::UserAgent);
    e.workspace.id = text(Key::WorkspaceId);
    e.workspace.name = text(Key::WorkspaceName);
    e.workspace.owner_id = text(Key::WorkspaceOwnerId);
    e.workspace.agent_name = text(Key::AgentName);
    e.organization_id = text(Key::OrganizationId);
    e.request_id = text(Key::RequestId);
    if (iequals(e.connection.status, "disconnected")) e.action = "disconnect";
    else if (!e.connection.id.empty()) e.action = "connect";
    else e.action = "open";
    const auto& t = e.connection.type;
    e.resource.type = (t == "workspace_app" || t == "port_forwarding") ? "workspace_app" : "workspace_agent";
    e.resource.id = e.workspace.id;
    if (!e.workspace.name.empty() || !e.workspace.agent_name.empty()) {
      size_t n = e.workspace.name.size() + 1 + e.workspace.agent_name.size();
      char* p = arena.allocate(n);
      // Empty views may hold a null pointer, which memcpy must never see.
      if (!e.workspace.name.empty()) std::memcpy(p, e.workspace.name.data(), e.workspace.name.size());
      p[e.workspace.name.size()] = '.';
      if (!e.workspace.agent_name.empty())
        std::memcpy(p + e.workspace.name.size() + 1, e.workspace.agent_name.data(), e.workspace.agent_name.size());
      e.resource.target = std::string_view(p, n);
    }
  } else if (e.kind == Kind::Boundary) {
    if (std::string_view t = text(Key::EventTime); !t.empty() && !is_zero_time(t)) parse_any_time(t, event_time);
    e.boundary.decision = text(Key::Decision);
    e.boundary.matched_rule = text(Key::MatchedRule);
    e.action = e.boundary.decision;
    e.actor.username = text(Key::Owner);
    e.workspace.owner_username = e.actor.username;
    e.workspace.id = text(Key::WorkspaceId);
    e.workspace.name = text(Key::WorkspaceName);
    e.workspace.agent_name = text(Key::AgentName);
    e.template_.id = text(Key::TemplateId);
    e.template_.version_id = text(Key::TemplateVersionId);
    e.http.method = text(Key::HttpMethod);
    e.http.url = text(Key::HttpUrl);
    e.http.host = url_host(e.http.url, arena);
    e.request_id = text(Key::RequestId);
  } else {
    e.request_id = text(Key::RequestId);
    e.workspace.id = text(Key::WorkspaceId);
    e.workspace.name = text(Key::WorkspaceName);
    e.build_reason = text(Key::Reason);
  }

  // Time: the event's own time, else the entry's, else the wrapper's, else when it was read.
  if (event_time.valid()) e.time = event_time;
  else if (entry.ts.valid()) e.time = entry.ts;
  else if (ctx.wrapper_time.valid()) e.time = ctx.wrapper_time;
  else e.time = ctx.observed;

  if (e.event_id.empty()) derive_event_id(ctx, e);
}

}  // namespace auditrelay::coder
