#pragma once
// Builds OTLP ExportLogsServiceRequest bodies (protobuf or proto3 JSON) from audit/v1 events.
// The mapping (which audit/v1 field becomes which OpenTelemetry attribute) is written once, in
// otlp_mapping.cpp; the two encodings receive it through LogRecordSink.
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/plugin/output.h"

namespace auditrelay {

// What identifies the OpenTelemetry resource an event belongs to.
struct OtlpResource {
  std::string service, host, k8s_namespace, k8s_pod, k8s_container;
  bool operator==(const OtlpResource&) const = default;
};

// The fields of a LogRecord that are not attributes.
struct OtlpRecordHeader {
  uint64_t time_unix_nano = 0;  // 0 = unknown (not sent)
  uint64_t observed_time_unix_nano = 0;
  int severity_number = 0;
  std::string_view severity_text, body, event_name;
  bool has_body = false;
};

// One log record's content, in the order the mapping finds it.
class LogRecordSink {
 public:
  virtual ~LogRecordSink() = default;
  // Any JSON value: objects become key-value lists, arrays arrays, null an empty value.
  virtual void json_attribute(std::string_view key, const simdjson::dom::element& value) = 0;
};

struct OtlpSettings {
  bool json = false;          // proto3 JSON instead of protobuf
  std::string service_name;   // overrides the one derived from the logger
  std::string scope_version;  // the agent's version
  // audit_v1: mapped to the OpenTelemetry log data model (otlp_mapping.cpp). ocsf or ecs: the
  // event in that schema is the record's body, as its JSON text.
  Schema schema = Schema::AuditV1;
};

class OtlpRequestBuilder {
 public:
  virtual ~OtlpRequestBuilder() = default;
  static std::unique_ptr<OtlpRequestBuilder> make(const OtlpSettings& settings);

  // Encodes batch.events[i] for every i in `which` into body. Events that are not valid JSON
  // (never the case for the agent's own encoding) are returned in `unreadable`.
  virtual void build(const OutBatch& batch, const std::vector<size_t>& which, std::string& body,
                     std::vector<size_t>& unreadable) = 0;
};

// The header and resource of an event sent as its OCSF or ECS text (the whole event is the body).
void map_otlp_schema_event(const OutEvent& event, const OtlpSettings& settings,
                           OtlpRecordHeader& header, OtlpResource& resource);

// Maps one audit/v1 event: attributes go to sink, the rest to header and resource.
void map_otlp_event(const simdjson::dom::element& event, const EventMeta& meta,
                    const OtlpSettings& settings, LogRecordSink& sink, OtlpRecordHeader& header,
                    OtlpResource& resource);

}  // namespace auditrelay
