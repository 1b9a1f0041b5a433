// libFuzzer target: arbitrary bytes through one format's framer and parser, the normalizer and
// the JSON encoder. Every event must be valid JSON in the audit/v1 shape; nothing may crash,
// hang or leak. Built once per format (AUDITRELAY_FUZZ_FORMAT).
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "agent/event/line_reader.h"
#include "agent/registry/registry.h"
#include "coder/processor.h"

using namespace auditrelay;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Format* format = Registry::instance().format(AUDITRELAY_FUZZ_FORMAT);
  static const coder::Transforms transforms;
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
    simdjson::padded_string json(out.event_json(e));
    simdjson::dom::element root;
    std::string_view schema;
    if (checker.parse(json).get(root) || root["schema"].get_string().get(schema) ||
        schema != "audit/v1") {
      // Show what was written, so the crash report says which field broke the JSON.
      std::fprintf(stderr, "bad event JSON: %.*s\n", static_cast<int>(out.event_json(e).size()),
                   out.event_json(e).data());
      std::abort();
    }
  }
  return 0;
}
