// audit/v1 → OpenTelemetry log data model. The attribute names follow the OpenTelemetry
// semantic conventions where one exists for the field (user.*, client.address,
// user_agent.original, http.request.method, url.full, log.file.path, ...); every other field is
// `coder.` + its audit/v1 path. docs/outputs.md has the table.
#include "agent/common/time.h"
#include "plugins/outputs/otlp/otlp_request.h"

namespace auditrelay {
namespace {

struct Rename {
  std::string_view path, attribute;
};
constexpr Rename kConventional[] = {
    {"event_id", "log.record.uid"},
    {"actor.id", "user.id"},
    {"actor.username", "user.name"},
    {"actor.email", "user.email"},
    {"actor.ip", "client.address"},
    {"actor.user_agent", "user_agent.original"},
    {"http.method", "http.request.method"},
    {"http.url", "url.full"},
    {"http.host", "server.address"},
    {"error", "exception.message"},
    {"source.path", "log.file.path"},
};

// Objects whose keys come from the source: one attribute holding a key-value list.
constexpr std::string_view kWholeObjects[] = {"diff", "additional_fields", "fields",
                                              "source.journal"};

struct SeverityMapping {
  int number;
  std::string_view text;
};
SeverityMapping otel_severity(Severity s) {
  switch (s) {
    case Severity::Debug: return {5, "DEBUG"};
    case Severity::Info: return {9, "INFO"};
    case Severity::Warn: return {13, "WARN"};
    case Severity::Error: return {17, "ERROR"};
    case Severity::Critical: return {18, "CRITICAL"};  // ERROR2: above error, not fatal
    case Severity::Fatal: return {21, "FATAL"};
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
    case Kind::Audit: return "coder.audit";
    case Kind::Connection: return "coder.connection";
    case Kind::Boundary: return "coder.boundary";
    case Kind::Log: return "coder.log";
  }
  return "coder.log";
}

class Mapper {
 public:
  Mapper(const EventMeta& meta, LogRecordSink& sink, OtlpResource& resource)
      : meta_(meta), sink_(sink), resource_(resource) {}

  // Walks an object's members; `path` is the audit/v1 path of the object ("" at the top).
  void object(const simdjson::dom::object& obj, std::string& path) {
    const size_t base = path.size();
    for (auto [key, value] : obj) {
      if (base) path.push_back('.');
      path.append(key);
      member(path, value);
      path.resize(base);
    }
  }

 private:
  void member(std::string& path, const simdjson::dom::element& value) {
    if (resource_member(path, value)) return;
    if (value.is_object() && !whole_object(path)) {
      object(value.get_object().value_unsafe(), path);
      return;
    }
    sink_.json_attribute(attribute_name(path), value);
  }

  // Fields that are the resource, the record's own fields, or constant: no attribute.
  bool resource_member(std::string_view path, const simdjson::dom::element& value) {
    std::string_view s;
    const bool text = !value.get_string().get(s);
    if (path == "schema" || path == "time" || path == "observed_time" || path == "severity" ||
        path == "message")
      return true;
    if (path == "source.host") return text && (resource_.host = s, true);
    if (path == "source.kubernetes.namespace") return text && (resource_.k8s_namespace = s, true);
    if (path == "source.kubernetes.pod") return text && (resource_.k8s_pod = s, true);
    if (path == "source.kubernetes.container") return text && (resource_.k8s_container = s, true);
    if (path == "logger" && text) resource_.service = component(s);
    return false;
  }

  static bool whole_object(std::string_view path) {
    for (std::string_view w : kWholeObjects)
      if (path == w) return true;
    return false;
  }

  std::string_view attribute_name(std::string_view path) {
    for (const Rename& r : kConventional)
      if (path == r.path) return r.attribute;
    // An HTTP status for audit events (the request's answer); an exit code or web status for
    // connections, which OpenTelemetry has no one name for.
    if (path == "status_code" && meta_.kind == Kind::Audit) return "http.response.status_code";
    name_.assign("coder.");
    name_.append(path);
    return name_;
  }

  const EventMeta& meta_;
  LogRecordSink& sink_;
  OtlpResource& resource_;
  std::string name_;
};

}  // namespace

void map_otlp_event(const simdjson::dom::element& event, const EventMeta& meta,
                    const OtlpSettings& settings, LogRecordSink& sink, OtlpRecordHeader& header,
                    OtlpResource& resource) {
  resource = OtlpResource{};
  resource.service = "coderd";
  simdjson::dom::object obj;
  if (event.get_object().get(obj)) return;
  std::string path;
  path.reserve(64);
  Mapper(meta, sink, resource).object(obj, path);
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
  header.event_name = event_name(meta.kind);
}

}  // namespace auditrelay
