// The two OTLP encodings of one request. Both encode each event's LogRecord into a scratch
// buffer as the mapping walks it, then assemble the request: one ResourceLogs per resource (in
// the order resources first appear), each with one ScopeLogs (scope "auditrelay").
#include "plugins/outputs/otlp/otlp_request.h"

#include <charconv>
#include <vector>

#include "core/common/json_writer.h"
#include "plugins/outputs/otlp/protobuf_writer.h"

namespace auditrelay {
namespace {

// Field numbers from opentelemetry/proto (plugins/outputs/otlp/proto).
namespace pb {
constexpr uint32_t kRequestResourceLogs = 1;
constexpr uint32_t kResourceLogsResource = 1, kResourceLogsScopeLogs = 2;
constexpr uint32_t kResourceAttributes = 1;
constexpr uint32_t kScopeLogsScope = 1, kScopeLogsLogRecords = 2;
constexpr uint32_t kScopeName = 1, kScopeVersion = 2;
constexpr uint32_t kRecordTime = 1, kRecordSeverityNumber = 2, kRecordSeverityText = 3,
                   kRecordBody = 5, kRecordAttributes = 6, kRecordObservedTime = 11,
                   kRecordEventName = 12;
constexpr uint32_t kKeyValueKey = 1, kKeyValueValue = 2;
constexpr uint32_t kAnyString = 1, kAnyBool = 2, kAnyInt = 3, kAnyDouble = 4, kAnyArray = 5,
                   kAnyKvlist = 6;
constexpr uint32_t kListValues = 1;  // ArrayValue.values and KeyValueList.values
}  // namespace pb

constexpr std::string_view kScopeName = "auditrelay";

// Lists and key-value lists nest three protobuf messages per level, and libprotobuf's C++ and
// Java parsers stop at 100 levels: a value nested deeper than this is sent as its JSON text
// (audit/v1 values go 32 deep; past 16 here they become strings).
constexpr int kMaxValueDepth = 16;

// The resource attributes of r, in the order docs/outputs.md lists them (empty ones left out).
template <typename Fn>
void each_resource_attribute(const OtlpResource& r, Fn&& fn) {
  fn("service.name", r.service);
  if (!r.host.empty()) fn("host.name", r.host);
  if (!r.k8s_namespace.empty()) fn("k8s.namespace.name", r.k8s_namespace);
  if (!r.k8s_pod.empty()) fn("k8s.pod.name", r.k8s_pod);
  if (!r.k8s_container.empty()) fn("k8s.container.name", r.k8s_container);
}

// What both encodings share: parsing, mapping, and grouping records by resource.
class BuilderBase : public OtlpRequestBuilder, protected LogRecordSink {
 public:
  explicit BuilderBase(OtlpSettings settings) : settings_(std::move(settings)) {}

  void build(const OutBatch& batch, const std::vector<size_t>& which, std::string& body,
             std::vector<size_t>& unreadable) override {
    records_.clear();
    spans_.clear();
    resources_.clear();
    for (size_t i : which) {
      const OutEvent& e = batch.events[i];
      if (settings_.schema != Schema::AuditV1) {
        const size_t start = records_.size();
        begin_record();
        OtlpRecordHeader header;
        map_otlp_schema_event(e, settings_, header, resource_);
        end_record(header);
        spans_.push_back({start, records_.size() - start, resource_index()});
        continue;
      }
      simdjson::dom::element root;
      if (parser_.parse(e.json.data(), e.json.size()).get(root) || !root.is_object()) {
        unreadable.push_back(i);
        continue;
      }
      const size_t start = records_.size();
      begin_record();
      OtlpRecordHeader header;
      map_otlp_event(root, *e.meta, settings_, *this, header, resource_);
      end_record(header);
      spans_.push_back({start, records_.size() - start, resource_index()});
    }
    body.clear();
    assemble(body);
  }

 protected:
  struct Span {
    size_t offset, size, resource;
  };
  virtual void begin_record() = 0;
  virtual void end_record(const OtlpRecordHeader& header) = 0;
  virtual void assemble(std::string& body) = 0;

  std::string_view record(const Span& s) const { return {records_.data() + s.offset, s.size}; }

  OtlpSettings settings_;
  std::string records_;      // every record's encoding, back to back
  std::vector<Span> spans_;  // one per record, in batch order
  std::vector<OtlpResource> resources_;

 private:
  size_t resource_index() {
    for (size_t r = 0; r < resources_.size(); ++r)
      if (resources_[r] == resource_) return r;
    resources_.push_back(resource_);
    return resources_.size() - 1;
  }

  simdjson::dom::parser parser_;
  OtlpResource resource_;
};

class ProtobufBuilder final : public BuilderBase {
 public:
  using BuilderBase::BuilderBase;

 private:
  void begin_record() override {}

  void json_attribute(std::string_view key, const simdjson::dom::element& value) override {
    ProtobufWriter w(records_);
    key_value(w, pb::kRecordAttributes, key, value, 1);
  }

  void end_record(const OtlpRecordHeader& h) override {
    ProtobufWriter w(records_);
    if (h.time_unix_nano) w.fixed64_field(pb::kRecordTime, h.time_unix_nano);
    if (h.observed_time_unix_nano)
      w.fixed64_field(pb::kRecordObservedTime, h.observed_time_unix_nano);
    w.uint_field(pb::kRecordSeverityNumber, static_cast<uint64_t>(h.severity_number));
    w.bytes_field(pb::kRecordSeverityText, h.severity_text);
    if (h.has_body) {
      size_t body = w.begin(pb::kRecordBody);
      w.bytes_field(pb::kAnyString, h.body);
      w.end(body);
    }
    w.bytes_field(pb::kRecordEventName, h.event_name);
  }

  void assemble(std::string& body) override {
    ProtobufWriter w(body);
    for (size_t r = 0; r < resources_.size(); ++r) {
      size_t resource_logs = w.begin(pb::kRequestResourceLogs);
      size_t resource = w.begin(pb::kResourceLogsResource);
      each_resource_attribute(resources_[r], [&](std::string_view k, std::string_view v) {
        w.string_pair(pb::kResourceAttributes, k, v);
      });
      w.end(resource);
      size_t scope_logs = w.begin(pb::kResourceLogsScopeLogs);
      size_t scope = w.begin(pb::kScopeLogsScope);
      w.bytes_field(pb::kScopeName, kScopeName);
      w.bytes_field(pb::kScopeVersion, settings_.scope_version);
      w.end(scope);
      for (const Span& s : spans_)
        if (s.resource == r) w.bytes_field(pb::kScopeLogsLogRecords, record(s));
      w.end(scope_logs);
      w.end(resource_logs);
    }
  }

  static void key_value(ProtobufWriter& w, uint32_t field, std::string_view key,
                        const simdjson::dom::element& value, int depth = 1) {
    std::string_view text;
    if (!value.get_string().get(text)) {
      w.string_pair(field, key, text);
      return;
    }
    size_t kv = w.begin(field);
    w.bytes_field(pb::kKeyValueKey, key);
    size_t any = w.begin(pb::kKeyValueValue);
    any_value(w, value, depth);
    w.end(any);
    w.end(kv);
  }

  // The AnyValue's content (the caller opened it).
  static void any_value(ProtobufWriter& w, const simdjson::dom::element& v, int depth) {
    using simdjson::dom::element_type;
    if (depth > kMaxValueDepth && (v.is_array() || v.is_object())) {
      w.bytes_field(pb::kAnyString, simdjson::minify(v));
      return;
    }
    switch (v.type()) {
      case element_type::STRING:
        w.bytes_field(pb::kAnyString, v.get_string().value_unsafe());
        break;
      case element_type::BOOL:
        w.bool_field(pb::kAnyBool, v.get_bool().value_unsafe());
        break;
      case element_type::INT64:
        w.int_field(pb::kAnyInt, v.get_int64().value_unsafe());
        break;
      case element_type::UINT64:  // above INT64_MAX: a double would round it
        w.bytes_field(pb::kAnyString, std::to_string(v.get_uint64().value_unsafe()));
        break;
      case element_type::DOUBLE:
        w.double_field(pb::kAnyDouble, v.get_double().value_unsafe());
        break;
      case element_type::ARRAY: {
        size_t array = w.begin(pb::kAnyArray);
        const simdjson::dom::array items = v.get_array().value_unsafe();
        for (auto item : items) {
          size_t any = w.begin(pb::kListValues);
          any_value(w, item, depth + 1);
          w.end(any);
        }
        w.end(array);
        break;
      }
      case element_type::OBJECT: {
        size_t list = w.begin(pb::kAnyKvlist);
        const simdjson::dom::object members = v.get_object().value_unsafe();
        for (auto [k, item] : members) key_value(w, pb::kListValues, k, item, depth + 1);
        w.end(list);
        break;
      }
      case element_type::NULL_VALUE:
        break;  // an empty AnyValue
    }
  }
};

// proto3's JSON mapping: lowerCamelCase keys, 64-bit integers as decimal strings, enums as
// numbers (OTLP/HTTP JSON requires the number).
class JsonBuilder final : public BuilderBase {
 public:
  using BuilderBase::BuilderBase;

 private:
  void begin_record() override {
    records_.append("{\"attributes\":[");
    first_attribute_ = true;
  }

  void json_attribute(std::string_view key, const simdjson::dom::element& value) override {
    if (!first_attribute_) records_.push_back(',');
    first_attribute_ = false;
    JsonWriter w(records_);
    w.begin_object();
    w.key("key");
    w.string(key);
    w.key_literal("value");
    any_value(w, value, 1);
    w.end_object();
  }

  void end_record(const OtlpRecordHeader& h) override {
    records_.push_back(']');
    auto nanos = [&](std::string_view key, uint64_t v) {
      if (!v) return;
      records_.append(",\"").append(key).append("\":\"");
      json_uint_append(records_, v);
      records_.push_back('"');
    };
    nanos("timeUnixNano", h.time_unix_nano);
    nanos("observedTimeUnixNano", h.observed_time_unix_nano);
    records_.append(",\"severityNumber\":");
    json_int_append(records_, h.severity_number);
    records_.append(",\"severityText\":");
    json_string_append(records_, h.severity_text);
    if (h.has_body) {
      records_.append(",\"body\":{\"stringValue\":");
      json_string_append(records_, h.body);
      records_.push_back('}');
    }
    records_.append(",\"eventName\":");
    json_string_append(records_, h.event_name);
    records_.push_back('}');
  }

  void assemble(std::string& body) override {
    JsonWriter w(body);
    w.begin_object();
    w.key_literal("resourceLogs");
    w.begin_array();
    for (size_t r = 0; r < resources_.size(); ++r) {
      w.begin_object();
      w.key_literal("resource");
      w.begin_object();
      w.key_literal("attributes");
      w.begin_array();
      each_resource_attribute(resources_[r], [&](std::string_view k, std::string_view v) {
        w.begin_object();
        w.field("key", k);
        w.key_literal("value");
        w.begin_object();
        w.key_literal("stringValue");
        w.string(v);
        w.end_object();
        w.end_object();
      });
      w.end_array();
      w.end_object();
      w.key_literal("scopeLogs");
      w.begin_array();
      w.begin_object();
      w.key_literal("scope");
      w.begin_object();
      w.field("name", kScopeName);
      w.field("version", settings_.scope_version);
      w.end_object();
      w.key_literal("logRecords");
      w.begin_array();
      for (const Span& s : spans_)
        if (s.resource == r) w.raw(record(s));
      w.end_array();
      w.end_object();
      w.end_array();
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }

  static void any_value(JsonWriter& w, const simdjson::dom::element& v, int depth = 1) {
    using simdjson::dom::element_type;
    w.begin_object();
    if (depth > kMaxValueDepth && (v.is_array() || v.is_object())) {
      w.key_literal("stringValue");
      w.string(simdjson::minify(v));
      w.end_object();
      return;
    }
    switch (v.type()) {
      case element_type::STRING:
        w.key_literal("stringValue");
        w.string(v.get_string().value_unsafe());
        break;
      case element_type::BOOL:
        w.key_literal("boolValue");
        w.boolean(v.get_bool().value_unsafe());
        break;
      case element_type::INT64: {
        w.key_literal("intValue");
        char digits[24];  // int64 as a decimal string
        digits[0] = '"';
        auto end =
            std::to_chars(digits + 1, digits + sizeof digits - 1, v.get_int64().value_unsafe()).ptr;
        *end++ = '"';
        w.raw(std::string_view(digits, static_cast<size_t>(end - digits)));
        break;
      }
      case element_type::UINT64:  // above INT64_MAX: a double would round it
        w.key_literal("stringValue");
        w.string(std::to_string(v.get_uint64().value_unsafe()));
        break;
      case element_type::DOUBLE:
        w.key_literal("doubleValue");
        w.number(v.get_double().value_unsafe());
        break;
      case element_type::ARRAY: {
        const simdjson::dom::array items = v.get_array().value_unsafe();
        w.key_literal("arrayValue");
        w.begin_object();
        w.key_literal("values");
        w.begin_array();
        for (auto item : items) any_value(w, item, depth + 1);
        w.end_array();
        w.end_object();
        break;
      }
      case element_type::OBJECT: {
        const simdjson::dom::object members = v.get_object().value_unsafe();
        w.key_literal("kvlistValue");
        w.begin_object();
        w.key_literal("values");
        w.begin_array();
        for (auto [k, item] : members) {
          w.begin_object();
          w.key_literal("key");
          w.string(k);
          w.key_literal("value");
          any_value(w, item, depth + 1);
          w.end_object();
        }
        w.end_array();
        w.end_object();
        break;
      }
      case element_type::NULL_VALUE:
        break;
    }
    w.end_object();
  }

  bool first_attribute_ = true;
};

}  // namespace

std::unique_ptr<OtlpRequestBuilder> OtlpRequestBuilder::make(const OtlpSettings& settings) {
  if (settings.json) return std::make_unique<JsonBuilder>(settings);
  return std::make_unique<ProtobufBuilder>(settings);
}

}  // namespace auditrelay
