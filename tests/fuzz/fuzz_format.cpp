// libFuzzer target: arbitrary bytes through one format's framer and parser, the normalizer and
// the encoders of every schema. Every event must be valid JSON in its schema's shape (audit/v1's
// "schema", OCSF's class_uid and type_uid, ECS's @timestamp); nothing may crash, hang or leak.
// Built once per format (AUDITRELAY_FUZZ_FORMAT).
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/event/line_reader.h"
#include "core/registry/registry.h"
#include "coder/processor.h"

using namespace auditrelay;

namespace {

bool well_formed(simdjson::dom::parser& checker, std::string_view text, Schema schema) {
  simdjson::padded_string json(text);
  simdjson::dom::element root;
  if (checker.parse(json).get(root) || !root.is_object()) return false;
  switch (schema) {
    case Schema::AuditV1: {
      std::string_view name;
      return !root["schema"].get_string().get(name) && name == "audit/v1";
    }
    case Schema::Ocsf: {
      int64_t class_uid = 0, activity_id = 0, type_uid = 0;
      return !root["class_uid"].get_int64().get(class_uid) &&
             !root["activity_id"].get_int64().get(activity_id) &&
             !root["type_uid"].get_int64().get(type_uid) &&
             type_uid == class_uid * 100 + activity_id && root["metadata"].is_object();
    }
    case Schema::Ecs: {
      std::string_view ts;
      return !root["@timestamp"].get_string().get(ts) && root["event"].is_object();
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Format* format = Registry::instance().format(AUDITRELAY_FUZZ_FORMAT);
  // Three outputs taking every event, one per schema.
  static const coder::Transforms transforms = [] {
    coder::Transforms t;
    for (Schema s : {Schema::AuditV1, Schema::Ocsf, Schema::Ecs}) {
      t.routes.emplace_back();
      t.schemas.push_back(s);
    }
    return t;
  }();
  static coder::Processor processor(transforms, nullptr);
  static simdjson::dom::parser checker;
  if (!format) std::abort();

  RecordBatch batch;
  auto src = std::make_shared<SourceInfo>();
  src->input = "fuzz";
  src->identity = "fuzz";
  batch.source = src;
  batch.observed = Timestamp{1'800'000'000, 0, 9};
  BatchSink sink(&batch);
  LineReader reader(format->make_framer(), 4096);
  // Feed in two pieces so records cross a read boundary.
  std::string input(reinterpret_cast<const char*>(data), size);
  input.reserve(size + simdjson::SIMDJSON_PADDING);
  size_t cut = size ? data[0] % (size + 1) : 0;
  reader.feed(std::string_view(input).substr(0, cut), 0, sink);
  reader.feed(std::string_view(input).substr(cut), cut, sink);
  reader.finish(sink);

  EncodedBatch out;
  processor.process(batch, out);
  for (const auto& e : out.events) {
    for (Schema schema : {Schema::AuditV1, Schema::Ocsf, Schema::Ecs}) {
      std::string_view text = out.event_json(e, schema);
      if (!well_formed(checker, text, schema)) {
        // Show what was written, so the crash report says which field broke the JSON.
        std::fprintf(stderr, "bad %s event JSON: %.*s\n", std::string(schema_name(schema)).c_str(),
                     static_cast<int>(text.size()), text.data());
        std::abort();
      }
    }
  }
  return 0;
}
