#include "plugins/outputs/common/event_template.h"

#include "coder/event/event_attributes.h"
#include "coder/schemas/ocsf_class.h"
#include "core/common/time.h"

namespace auditrelay {
namespace {

// The audit/v1 fields a template may name (docs/audit-schema.md); objects whose keys come
// from the source are open below their name.
constexpr std::string_view kSchemaFields[] = {"schema",
                                              "event_id",
                                              "kind",
                                              "time",
                                              "observed_time",
                                              "severity",
                                              "logger",
                                              "message",
                                              "action",
                                              "status_code",
                                              "organization_id",
                                              "request_id",
                                              "build_reason",
                                              "error",
                                              "actor.id",
                                              "actor.username",
                                              "actor.email",
                                              "actor.ip",
                                              "actor.user_agent",
                                              "resource.type",
                                              "resource.id",
                                              "resource.target",
                                              "resource.icon",
                                              "workspace.id",
                                              "workspace.name",
                                              "workspace.owner_id",
                                              "workspace.owner_username",
                                              "workspace.agent_name",
                                              "connection.id",
                                              "connection.type",
                                              "connection.status",
                                              "connection.slug_or_port",
                                              "connection.disconnect_reason",
                                              "alert.rule",
                                              "alert.summary",
                                              "template.id",
                                              "template.version_id",
                                              "http.method",
                                              "http.url",
                                              "http.host",
                                              "boundary.decision",
                                              "boundary.matched_rule",
                                              "source.input",
                                              "source.type",
                                              "source.format",
                                              "source.path",
                                              "source.host",
                                              "ocsf.class",
                                              "ocsf.class_uid"};
constexpr std::string_view kOpenObjects[] = {"fields.", "additional_fields.", "diff.",
                                             "source.kubernetes.", "source.journal."};

bool schema_field(std::string_view f) {
  for (std::string_view known : kSchemaFields)
    if (f == known) return true;
  for (std::string_view open : kOpenObjects)
    if (f.size() > open.size() && f.substr(0, open.size()) == open) return true;
  return false;
}

// Fields the pipeline extracted for every event (EventMeta): the same in every schema.
bool extracted(std::string_view f) {
  for (std::string_view k : {"kind", "severity", "event_id", "action", "resource.type",
                             "workspace.id", "alert.rule", "ocsf.class", "ocsf.class_uid"})
    if (f == k) return true;
  return false;
}

bool starts_with_any(std::string_view f, std::initializer_list<std::string_view> prefixes) {
  for (std::string_view p : prefixes)
    if (f.starts_with(p)) return true;
  return false;
}

// Where an OCSF or ECS event keeps an audit/v1 field ("" when it has no fixed place); the
// tables in docs/audit-schema.md.
std::string translated(Schema schema, std::string_view f) {
  using Pair = std::pair<std::string_view, std::string_view>;
  if (schema == Schema::Ecs) {
    if (starts_with_any(f, {"workspace.", "template.", "resource.", "diff.", "additional_fields.",
                            "fields.", "source."}) ||
        f == "organization_id" || f == "build_reason" || f == "boundary.decision" ||
        (f.starts_with("connection.") && f != "connection.disconnect_reason"))
      return "coder." + std::string(f);
    for (auto [from, to] :
         {Pair{"actor.id", "user.id"}, Pair{"actor.username", "user.name"},
          Pair{"actor.email", "user.email"}, Pair{"actor.user_agent", "user_agent.original"},
          Pair{"message", "message"}, Pair{"logger", "log.logger"},
          Pair{"request_id", "http.request.id"}, Pair{"http.method", "http.request.method"},
          Pair{"http.url", "url.original"}, Pair{"http.host", "url.domain"},
          Pair{"error", "error.message"}, Pair{"time", "@timestamp"},
          Pair{"observed_time", "event.created"},
          Pair{"connection.disconnect_reason", "event.reason"}})
      if (f == from) return std::string(to);
    return {};
  }
  if (starts_with_any(
          f, {"workspace.", "template.", "diff.", "additional_fields.", "fields.", "source."}) ||
      f == "organization_id" || f == "build_reason" || f == "error" || f == "connection.type" ||
      f == "connection.status" || f == "connection.slug_or_port")
    return "unmapped." + std::string(f);
  for (auto [from, to] :
       {Pair{"message", "message"}, Pair{"logger", "metadata.log_provider"},
        Pair{"request_id", "metadata.correlation_uid"}, Pair{"time", "metadata.original_time"},
        Pair{"status_code", "status_code"}})
    if (f == from) return std::string(to);
  return {};
}

bool date_letter(char c) {
  return c == 'Y' || c == 'm' || c == 'd' || c == 'H';
}

// Fields the worker already extracted (no JSON parse needed). nullptr data = not one of them.
std::string_view known(const OutEvent& e, std::string_view f) {
  const EncodedBatch& b = *e.batch;
  const EventMeta& m = *e.meta;
  if (f == "kind") return kind_name(kind(m));
  if (f == "severity") return severity_name(m.severity);
  if (f == "event_id") return text(b, m, TextAttr::EventId);
  if (f == "action") return text(b, m, TextAttr::Action);
  if (f == "resource.type") return text(b, m, TextAttr::ResourceType);
  if (f == "workspace.id") return text(b, m, TextAttr::WorkspaceId);
  if (f == "alert.rule") return text(b, m, TextAttr::AlertRule);
  // The event's OCSF class, whatever schema the output sends (docs/audit-schema.md, "OCSF").
  if (f == "ocsf.class") return coder::ocsf_class_info(ocsf_class(m)).key;
  if (f == "ocsf.class_uid") return coder::ocsf_class_info(ocsf_class(m)).uid_text;
  return {nullptr, 0};
}

// A dotted path looked up in the event's JSON; strings and integers only.
std::string_view lookup(const simdjson::dom::element& root, std::string_view path,
                        std::string& owned) {
  simdjson::dom::element cur = root;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string_view key =
        path.substr(start, dot == std::string_view::npos ? path.npos : dot - start);
    if (cur.at_key(key).get(cur)) return {};
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  std::string_view s;
  int64_t n;
  if (!cur.get_string().get(s)) return s;
  if (!cur.get_int64().get(n)) return owned = std::to_string(n);
  return {};
}

}  // namespace

EventTemplate::EventTemplate(const std::string& text, Rules rules) {
  auto literal = [&](std::string_view s) {
    if (s.empty()) return;
    if (!parts_.empty() && parts_.back().type == PartType::Literal)
      parts_.back().text += s;
    else
      parts_.push_back({PartType::Literal, std::string(s)});
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (rules.dates && c == '%' && i + 1 < text.size()) {
      if (date_letter(text[i + 1]))
        parts_.push_back({PartType::Date, std::string(1, text[i + 1])});
      else
        literal(text.substr(i + 1, 1));  // %% (problem() refuses the rest)
      i += 2;
      continue;
    }
    size_t close = c == '{' ? text.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      literal(std::string_view(text).substr(i, 1));
      ++i;
      continue;
    }
    std::string field = text.substr(i + 1, close - i - 1);
    if (rules.schema != Schema::AuditV1 && !extracted(field) && schema_field(field)) {
      std::string there = translated(rules.schema, field);
      if (!there.empty()) field = std::move(there);  // problem() refuses the rest
    }
    parts_.push_back({PartType::Field, std::move(field)});
    i = close + 1;
  }
}

std::string EventTemplate::problem(const std::string& text, Rules rules) {
  for (size_t i = 0; i < text.size(); ++i) {
    const std::string at = " at " + std::to_string(i + 1);
    if (rules.dates && text[i] == '%') {
      if (i + 1 < text.size() && (date_letter(text[i + 1]) || text[i + 1] == '%')) {
        ++i;
        continue;
      }
      return "'%" + text.substr(i + 1, 1) + "'" + at +
             " is not a date this template takes (%Y, %m, %d, %H, or %% for a '%')";
    }
    if (text[i] == '}') return "'}'" + at + " closes no '{'";
    if (text[i] != '{') continue;
    size_t close = text.find('}', i);
    if (close == std::string::npos) return "'{'" + at + " is not closed (write {field})";
    std::string field = text.substr(i + 1, close - i - 1);
    if (field.empty() || field.find_first_of("{ ") != std::string::npos)
      return "'{" + field + "}' does not name a field (such as {kind} or {workspace.id})";
    const bool audit_field = schema_field(field);
    if (rules.schema != Schema::AuditV1 && audit_field && !extracted(field) &&
        translated(rules.schema, field).empty())
      return "'{" + field + "}' has no fixed place in " + std::string(schema_name(rules.schema)) +
             " events (docs/audit-schema.md); use {kind}, {action}, {severity}, " +
             "{workspace.id}, {ocsf.class} or the field's " +
             std::string(schema_name(rules.schema)) + " path";
    if (rules.schema_only && rules.schema == Schema::AuditV1 && !audit_field)
      return "'{" + field + "}' is not an audit/v1 field (such as {kind}, {action}, " +
             "{workspace.name} or fields.<key>)";
    i = close;
  }
  return {};
}

bool EventTemplate::render(const OutEvent& e, simdjson::dom::parser& parser, std::string& out,
                           std::string_view missing) const {
  out.clear();
  bool complete = true;
  simdjson::dom::element root;
  bool parsed = false;
  char date[40];
  size_t date_size = 0;
  for (const auto& p : parts_) {
    if (p.type == PartType::Literal) {
      out += p.text;
      continue;
    }
    if (p.type == PartType::Date) {
      if (date_size == 0) date_size = format_rfc3339(e.meta->time, date);
      // "YYYY-MM-DDTHH:..."
      const char letter = p.text[0];
      size_t at = letter == 'Y' ? 0 : letter == 'm' ? 5 : letter == 'd' ? 8 : 11;
      out.append(date + at, letter == 'Y' ? 4 : 2);
      continue;
    }
    std::string owned;
    std::string_view v = known(e, p.text);
    if (v.data() == nullptr) {
      if (!parsed) {
        parsed = !parser.parse(e.json.data(), e.json.size()).get(root);
        if (!parsed) return false;
      }
      v = lookup(root, p.text, owned);
    }
    if (v.empty()) {
      complete = false;
      v = missing;
    }
    out += v;
  }
  return complete;
}

}  // namespace auditrelay
