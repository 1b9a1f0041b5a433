// audit/v1 → OpenTelemetry log data model. The attribute names follow the OpenTelemetry
// semantic conventions where one exists for the field (user.*, client.address,
// user_agent.original, http.request.method, url.full, log.file.path, ...); every other field is
// `coder.` + its audit/v1 path. docs/outputs.md has the table.
#include "coder/event/event_attributes.h"
#include "core/common/time.h"
#include "plugins/outputs/otlp/otlp_request.h"

namespace auditrelay {
namespace {

// What becomes of a field, by its key in its object. A key not listed is an attribute named
// `coder.` + its audit/v1 path; the tables name the known ones, so no name is built per event.
enum class Use : uint8_t {
  Attribute,   // an attribute named `name`
  Object,      // an object of the schema: its members are looked up in `members`
  Whole,       // an object whose keys come from the source: one attribute, a key-value list
  Skip,        // a LogRecord field of its own, or constant
  Logger,      // an attribute, and the resource's service.name
  StatusCode,  // http.response.status_code for audit events, else coder.status_code
  Host,
  K8sNamespace,
  K8sPod,
  K8sContainer,  // resource attributes
};
struct Rules;
struct Rule {
  std::string_view key;
  Use use;
  std::string_view name = {};
  const Rules* members = nullptr;
};
struct Rules {
  const Rule* begin;
  size_t size;
};
template <size_t N>
constexpr Rules rules(const Rule (&r)[N]) {
  return {r, N};
}

// In the order the event writer writes the keys: a lookup usually hits the entry after the last.
// The names: OpenTelemetry's semantic conventions where one exists, else coder.<path>.
constexpr Rule kActor[] = {
    {"id", Use::Attribute, "user.id"},
    {"username", Use::Attribute, "user.name"},
    {"email", Use::Attribute, "user.email"},
    {"ip", Use::Attribute, "client.address"},
    {"user_agent", Use::Attribute, "user_agent.original"},
};
constexpr Rule kResource[] = {
    {"type", Use::Attribute, "coder.resource.type"},
    {"id", Use::Attribute, "coder.resource.id"},
    {"target", Use::Attribute, "coder.resource.target"},
    {"icon", Use::Attribute, "coder.resource.icon"},
};
constexpr Rule kWorkspace[] = {
    {"id", Use::Attribute, "coder.workspace.id"},
    {"name", Use::Attribute, "coder.workspace.name"},
    {"owner_id", Use::Attribute, "coder.workspace.owner_id"},
    {"owner_username", Use::Attribute, "coder.workspace.owner_username"},
    {"agent_name", Use::Attribute, "coder.workspace.agent_name"},
};
constexpr Rule kConnection[] = {
    {"id", Use::Attribute, "coder.connection.id"},
    {"type", Use::Attribute, "coder.connection.type"},
    {"status", Use::Attribute, "coder.connection.status"},
    {"slug_or_port", Use::Attribute, "coder.connection.slug_or_port"},
    {"disconnect_reason", Use::Attribute, "coder.connection.disconnect_reason"},
};
constexpr Rule kAlert[] = {
    {"rule", Use::Attribute, "coder.alert.rule"},
    {"summary", Use::Attribute, "coder.alert.summary"},
};
constexpr Rule kTemplate[] = {
    {"id", Use::Attribute, "coder.template.id"},
    {"version_id", Use::Attribute, "coder.template.version_id"},
};
constexpr Rule kHttp[] = {
    {"method", Use::Attribute, "http.request.method"},
    {"url", Use::Attribute, "url.full"},
    {"host", Use::Attribute, "server.address"},
};
constexpr Rule kBoundary[] = {
    {"decision", Use::Attribute, "coder.boundary.decision"},
    {"matched_rule", Use::Attribute, "coder.boundary.matched_rule"},
};
constexpr Rule kKubernetes[] = {
    {"namespace", Use::K8sNamespace},
    {"pod", Use::K8sPod},
    {"container", Use::K8sContainer},
};
constexpr Rules kKubernetesRules = rules(kKubernetes);
constexpr Rule kSource[] = {
    {"input", Use::Attribute, "coder.source.input"},
    {"type", Use::Attribute, "coder.source.type"},
    {"format", Use::Attribute, "coder.source.format"},
    {"path", Use::Attribute, "log.file.path"},
    {"offset", Use::Attribute, "coder.source.offset"},
    {"host", Use::Host},
    {"kubernetes", Use::Object, {}, &kKubernetesRules},
    {"journal", Use::Whole, "coder.source.journal"},
};
constexpr Rules kActorRules = rules(kActor), kResourceRules = rules(kResource),
                kWorkspaceRules = rules(kWorkspace), kConnectionRules = rules(kConnection),
                kAlertRules = rules(kAlert), kTemplateRules = rules(kTemplate),
                kHttpRules = rules(kHttp), kBoundaryRules = rules(kBoundary),
                kSourceRules = rules(kSource);
constexpr Rule kEvent[] = {
    {"schema", Use::Skip},
    {"event_id", Use::Attribute, "log.record.uid"},
    {"kind", Use::Attribute, "coder.kind"},
    {"time", Use::Skip},
    {"observed_time", Use::Skip},
    {"severity", Use::Skip},
    {"logger", Use::Logger, "coder.logger"},
    {"message", Use::Skip},
    {"action", Use::Attribute, "coder.action"},
    {"status_code", Use::StatusCode, "coder.status_code"},
    {"organization_id", Use::Attribute, "coder.organization_id"},
    {"request_id", Use::Attribute, "coder.request_id"},
    {"actor", Use::Object, {}, &kActorRules},
    {"resource", Use::Object, {}, &kResourceRules},
    {"workspace", Use::Object, {}, &kWorkspaceRules},
    {"template", Use::Object, {}, &kTemplateRules},
    {"connection", Use::Object, {}, &kConnectionRules},
    {"http", Use::Object, {}, &kHttpRules},
    {"boundary", Use::Object, {}, &kBoundaryRules},
    {"build_reason", Use::Attribute, "coder.build_reason"},
    {"diff", Use::Whole, "coder.diff"},
    {"additional_fields", Use::Whole, "coder.additional_fields"},
    {"error", Use::Attribute, "exception.message"},
    {"alert", Use::Object, {}, &kAlertRules},
    {"fields", Use::Whole, "coder.fields"},
    {"source", Use::Object, {}, &kSourceRules},
};
constexpr Rules kEventRules = rules(kEvent);

// The rule for key, searched from the entry after `from` (where the previous key matched).
const Rule* find_rule(const Rules& table, std::string_view key, size_t& from) {
  for (size_t k = 0; k < table.size; ++k) {
    size_t i = (from + k) % table.size;
    if (table.begin[i].key == key) {
      from = i + 1;
      return &table.begin[i];
    }
  }
  return nullptr;
}

struct SeverityMapping {
  int number;
  std::string_view text;
};
SeverityMapping otel_severity(Severity s) {
  switch (s) {
    case Severity::Debug:
      return {5, "DEBUG"};
    case Severity::Info:
      return {9, "INFO"};
    case Severity::Warn:
      return {13, "WARN"};
    case Severity::Error:
      return {17, "ERROR"};
    case Severity::Critical:
      return {18, "CRITICAL"};  // ERROR2: above error, not fatal
    case Severity::Fatal:
      return {21, "FATAL"};
  }
  return {9, "INFO"};
}

uint64_t unix_nanos(const Timestamp& t) {
  if (!t.valid() || t.seconds < 0) return 0;
  return static_cast<uint64_t>(t.seconds) * 1000000000ull + t.nanos;
}

// The Coder component that wrote the line: provisioner daemons log as provisionerd-<name>,
// everything else (and the audit and connection logs) comes from coderd.
std::string_view component(std::string_view logger) {
  std::string_view first = logger.substr(0, logger.find('.'));
  return first.rfind("provisionerd", 0) == 0 ? "provisionerd" : "coderd";
}

// The record's eventName: what kind of event it is (`coder.kind` says it as an attribute too,
// for receivers that predate eventName).
std::string_view event_name(Kind k) {
  switch (k) {
    case Kind::Audit:
      return "coder.audit";
    case Kind::Connection:
      return "coder.connection";
    case Kind::Boundary:
      return "coder.boundary";
    case Kind::Log:
      return "coder.log";
  }
  return "coder.log";
}

class Mapper {
 public:
  Mapper(const EventMeta& meta, LogRecordSink& sink, OtlpResource& resource)
      : meta_(meta), sink_(sink), resource_(resource) {}

  // Walks an object's members; `table` holds the rules for its keys (nullptr: an object the
  // schema does not name). keys_ is the path to it, joined only for a name not in a table.
  void object(const simdjson::dom::object& obj, const Rules* table) {
    size_t from = 0;
    for (auto [key, value] : obj) {
      keys_[depth_++] = key;
      const Rule* rule = table ? find_rule(*table, key, from) : nullptr;
      if (rule)
        apply(*rule, value);
      else if (value.is_object() && depth_ < kMaxKeys)
        object(value.get_object().value_unsafe(), nullptr);
      else  // a value, or an object too deep to name each member: one attribute
        sink_.json_attribute(path_name(), value);
      --depth_;
    }
  }

 private:
  void apply(const Rule& rule, const simdjson::dom::element& value) {
    std::string_view text;
    switch (rule.use) {
      case Use::Skip:
        return;
      case Use::Object:
        if (value.is_object()) {
          object(value.get_object().value_unsafe(), rule.members);
          return;
        }
        break;
      case Use::Host:
      case Use::K8sNamespace:
      case Use::K8sPod:
      case Use::K8sContainer:
        if (!value.get_string().get(text)) resource_field(rule.use) = text;
        return;
      case Use::Logger:
        if (!value.get_string().get(text)) resource_.service = component(text);
        break;
      case Use::StatusCode:
        // An HTTP status for audit events (the request's answer); an exit code or web status
        // for connections, which OpenTelemetry has no one name for.
        if (kind(meta_) == Kind::Audit) {
          sink_.json_attribute("http.response.status_code", value);
          return;
        }
        break;
      case Use::Attribute:
      case Use::Whole:
        break;
    }
    // A schema object that was not one is named by its path.
    sink_.json_attribute(rule.name.empty() ? path_name() : rule.name, value);
  }

  std::string& resource_field(Use use) {
    switch (use) {
      case Use::K8sNamespace:
        return resource_.k8s_namespace;
      case Use::K8sPod:
        return resource_.k8s_pod;
      case Use::K8sContainer:
        return resource_.k8s_container;
      default:
        return resource_.host;
    }
  }

  // coder.<the audit/v1 path of the current key>
  std::string_view path_name() {
    name_.assign("coder");
    for (size_t i = 0; i < depth_; ++i) name_.append(".").append(keys_[i]);
    return name_;
  }

  const EventMeta& meta_;
  LogRecordSink& sink_;
  OtlpResource& resource_;
  // audit/v1 nests 34 levels at most (values past 32 are strings).
  static constexpr size_t kMaxKeys = 40;
  std::string_view keys_[kMaxKeys];
  size_t depth_ = 0;
  std::string name_;
};

}  // namespace

void map_otlp_schema_event(const OutEvent& event, const OtlpSettings& settings,
                           OtlpRecordHeader& header, OtlpResource& resource) {
  const EventMeta& meta = *event.meta;
  resource = OtlpResource{};
  resource.service = settings.service_name.empty() ? "coderd" : settings.service_name;
  if (event.batch && event.batch->source) resource.host = event.batch->source->host;
  header.time_unix_nano = unix_nanos(meta.time);
  header.observed_time_unix_nano = unix_nanos(event.batch ? event.batch->observed : Timestamp{});
  SeverityMapping sev = otel_severity(meta.severity);
  header.severity_number = sev.number;
  header.severity_text = sev.text;
  header.body = event.json;
  header.has_body = true;
  header.event_name = event_name(kind(meta));
}

void map_otlp_event(const simdjson::dom::element& event, const EventMeta& meta,
                    const OtlpSettings& settings, LogRecordSink& sink, OtlpRecordHeader& header,
                    OtlpResource& resource) {
  resource = OtlpResource{};
  resource.service = "coderd";
  simdjson::dom::object obj;
  if (event.get_object().get(obj)) return;
  Mapper(meta, sink, resource).object(obj, &kEventRules);
  if (!settings.service_name.empty()) resource.service = settings.service_name;

  header.time_unix_nano = unix_nanos(meta.time);
  std::string_view observed;
  Timestamp t;
  if (!obj["observed_time"].get_string().get(observed) && parse_rfc3339(observed, t))
    header.observed_time_unix_nano = unix_nanos(t);
  SeverityMapping sev = otel_severity(meta.severity);
  header.severity_number = sev.number;
  header.severity_text = sev.text;
  header.has_body = !obj["message"].get_string().get(header.body);
  header.event_name = event_name(kind(meta));
}

}  // namespace auditrelay
