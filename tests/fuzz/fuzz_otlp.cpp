// libFuzzer target: arbitrary lines as events through the otlp output's request builder (both
// encodings) and arbitrary bytes through the collector-answer readers and the event templates.
// Every protobuf request must decode with libprotobuf (its default 100-level recursion limit)
// and hold one record per readable event; every JSON request must parse as JSON.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "coder/event/event_attributes.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "plugins/outputs/common/event_template.h"
#include "plugins/outputs/otlp/otlp_request.h"
#include "plugins/outputs/otlp/otlp_response.h"

using namespace auditrelay;

namespace {

void check_requests(const OutBatch& batch) {
  static simdjson::dom::parser checker;
  std::vector<size_t> all(batch.events.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  for (bool json : {false, true}) {
    static auto protobuf = OtlpRequestBuilder::make({.json = false, .scope_version = "fuzz"});
    static auto json_builder = OtlpRequestBuilder::make({.json = true, .scope_version = "fuzz"});
    std::string body;
    std::vector<size_t> unreadable;
    (json ? json_builder : protobuf)->build(batch, all, body, unreadable);
    const size_t records = batch.events.size() - unreadable.size();
    if (json) {
      simdjson::dom::element root;
      if (checker.parse(body).get(root)) std::abort();  // not JSON
      continue;
    }
    opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest req;
    if (!req.ParseFromString(body)) std::abort();  // not an ExportLogsServiceRequest
    size_t decoded = 0;
    for (const auto& rl : req.resource_logs())
      for (const auto& sl : rl.scope_logs()) decoded += static_cast<size_t>(sl.log_records_size());
    if (decoded != records) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The readers of a collector's answer and the templates take any bytes.
  (void)parse_partial_success(input, true);
  (void)parse_partial_success(input, false);
  (void)status_message(input, true);
  (void)status_message(input, false);
  const std::string text(input.substr(0, 256));
  const TemplateRules rules{.dates = true, .schema_only = true};
  (void)EventTemplate::problem(text, rules);
  EventTemplate templ(text, rules);

  // Each line an event.
  EncodedBatch enc;
  enc.json.assign(input);
  size_t start = 0;
  while (start <= enc.json.size()) {
    size_t end = enc.json.find('\n', start);
    if (end == std::string::npos) end = enc.json.size();
    EncodedEvent ev;
    ev.json[0] =
        Slice{static_cast<uint32_t>(start), static_cast<uint32_t>(end - start)};  // audit/v1
    const uint8_t b = start < size ? data[start] : 0;
    set_kind(ev.meta, static_cast<Kind>(b % kKindCount));
    ev.meta.severity = static_cast<Severity>(b % 6);
    ev.meta.time = Timestamp{static_cast<int64_t>(b) * 1'000'000'007, b * 3u, 9};
    enc.events.push_back(ev);
    start = end + 1;
  }
  OutBatch batch;
  for (const auto& ev : enc.events) batch.events.push_back({enc.event_json(ev), &ev.meta, &enc});
  check_requests(batch);
  static simdjson::dom::parser parser;
  std::string out;
  if (!batch.events.empty()) templ.render(batch.events.front(), parser, out, "unknown");
  return 0;
}
