// The otlp output's request encoding on one core: the project's direct protobuf writer, proto3
// JSON, and, for the comparison the brief asks for, libprotobuf's generated classes (arena
// allocated, SerializeToString) filled by the same mapping walk. Events come from the generated
// Coder lines through the real processor, 500 per request.
//   ./build/tests/bench/otlp_encode_bench [lines] [reference|heavy] [direct|json|libprotobuf]
// Under callgrind (instruction counts, repeatable on a noisy machine), run one encoding at a time.
#include <google/protobuf/arena.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/registry/registry.h"
#include "coder/processor.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "plugins/outputs/otlp/otlp_request.h"
#include "tests/bench/framing.h"
#include "tests/bench/generator.h"
#include "tests/bench/process_stats.h"

using namespace auditrelay;
namespace pb = opentelemetry::proto;
using Clock = std::chrono::steady_clock;
using bench::cpu_seconds;

namespace {

// The same mapping, into libprotobuf messages.
class MessageSink final : public LogRecordSink {
 public:
  explicit MessageSink(pb::logs::v1::LogRecord* rec) : rec_(rec) {}
  void json_attribute(std::string_view key, const simdjson::dom::element& value) override {
    auto* kv = rec_->add_attributes();
    kv->set_key(std::string(key));
    fill(kv->mutable_value(), value);
  }

 private:
  static void fill(pb::common::v1::AnyValue* any, const simdjson::dom::element& v) {
    using simdjson::dom::element_type;
    switch (v.type()) {
      case element_type::STRING:
        any->set_string_value(std::string(v.get_string().value_unsafe()));
        break;
      case element_type::BOOL:
        any->set_bool_value(v.get_bool().value_unsafe());
        break;
      case element_type::INT64:
        any->set_int_value(v.get_int64().value_unsafe());
        break;
      case element_type::UINT64:
      case element_type::DOUBLE:
        any->set_double_value(v.get_double().value_unsafe());
        break;
      case element_type::ARRAY: {
        const simdjson::dom::array items = v.get_array().value_unsafe();
        for (auto item : items) fill(any->mutable_array_value()->add_values(), item);
        break;
      }
      case element_type::OBJECT: {
        const simdjson::dom::object members = v.get_object().value_unsafe();
        for (auto [k, item] : members) {
          auto* kv = any->mutable_kvlist_value()->add_values();
          kv->set_key(std::string(k));
          fill(kv->mutable_value(), item);
        }
        break;
      }
      case element_type::NULL_VALUE:
        break;
    }
  }
  pb::logs::v1::LogRecord* rec_;
};

size_t build_with_libprotobuf(const OutBatch& batch, std::string& body) {
  google::protobuf::Arena arena;
  auto* req =
      google::protobuf::Arena::CreateMessage<pb::collector::logs::v1::ExportLogsServiceRequest>(
          &arena);
  simdjson::dom::parser parser;
  std::vector<std::pair<OtlpResource, pb::logs::v1::ScopeLogs*>> groups;
  OtlpSettings settings{.scope_version = "bench"};
  for (const OutEvent& e : batch.events) {
    simdjson::dom::element root;
    if (parser.parse(e.json.data(), e.json.size()).get(root)) continue;
    pb::logs::v1::LogRecord rec;  // moved into place once its resource is known
    MessageSink sink(&rec);
    OtlpRecordHeader h;
    OtlpResource resource;
    map_otlp_event(root, *e.meta, settings, sink, h, resource);
    rec.set_time_unix_nano(h.time_unix_nano);
    rec.set_observed_time_unix_nano(h.observed_time_unix_nano);
    rec.set_severity_number(static_cast<pb::logs::v1::SeverityNumber>(h.severity_number));
    rec.set_severity_text(std::string(h.severity_text));
    if (h.has_body) rec.mutable_body()->set_string_value(std::string(h.body));
    rec.set_event_name(std::string(h.event_name));
    pb::logs::v1::ScopeLogs* scope = nullptr;
    for (auto& [r, s] : groups)
      if (r == resource) scope = s;
    if (!scope) {
      auto* rl = req->add_resource_logs();
      auto add = [&](const char* k, const std::string& v) {
        if (v.empty()) return;
        auto* kv = rl->mutable_resource()->add_attributes();
        kv->set_key(k);
        kv->mutable_value()->set_string_value(v);
      };
      add("service.name", resource.service);
      add("host.name", resource.host);
      add("k8s.namespace.name", resource.k8s_namespace);
      add("k8s.pod.name", resource.k8s_pod);
      add("k8s.container.name", resource.k8s_container);
      scope = rl->add_scope_logs();
      scope->mutable_scope()->set_name("auditrelay");
      scope->mutable_scope()->set_version("bench");
      groups.emplace_back(resource, scope);
    }
    scope->add_log_records()->Swap(&rec);
  }
  body.clear();
  req->SerializeToString(&body);
  return body.size();
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  auto mix = bench::mix_from_name(argc > 2 ? argv[2] : nullptr);
  const std::string only = argc > 3 ? argv[3] : "";
  bench::CoderLineGenerator gen(7, mix);
  std::string text;
  for (size_t i = 0; i < n; ++i) gen.json_line(text);
  auto records = bench::frame(text, Registry::instance().format("slog_json"));
  coder::Transforms transforms;
  coder::Processor proc(transforms, nullptr);
  std::vector<std::unique_ptr<EncodedBatch>> encoded;
  size_t json_bytes = 0;
  for (auto& b : records) {
    encoded.push_back(std::make_unique<EncodedBatch>());
    proc.process(*b, *encoded.back());
    json_bytes += encoded.back()->json.size();
  }
  // Requests of 500 events, as the driver's default batch makes them.
  std::vector<OutBatch> requests(1);
  size_t events = 0;
  for (auto& enc : encoded)
    for (const auto& ev : enc->events) {
      if (requests.back().events.size() == 500) requests.emplace_back();
      requests.back().events.push_back({enc->event_json(ev), &ev.meta, enc.get()});
      ++events;
    }
  std::printf("otlp encoding: %zu events (%s mix), %.1f MB of audit/v1 JSON, %zu requests\n",
              events, bench::mix_name(mix), json_bytes / 1e6, requests.size());
  auto run = [&](const char* name, auto&& encode) {
    if (!only.empty() && only != name) return;
    std::string body;
    size_t out_bytes = 0;
    for (auto& r : requests) encode(r, body);  // warm-up: buffers at their steady size
    double cpu0 = cpu_seconds();
    auto t0 = Clock::now();
    for (auto& r : requests) out_bytes += encode(r, body);
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu = cpu_seconds() - cpu0;
    std::printf("%-12s %9.0f events/s  %6.3f CPU s per 1M events  %6.2f bytes out per JSON byte\n",
                name, events / secs, cpu * 1e6 / events,
                static_cast<double>(out_bytes) / json_bytes);
  };
  for (bool json : {false, true}) {
    auto builder = OtlpRequestBuilder::make({.json = json, .scope_version = "bench"});
    run(json ? "json" : "direct", [&](const OutBatch& r, std::string& body) {
      std::vector<size_t> all(r.events.size()), unreadable;
      for (size_t i = 0; i < all.size(); ++i) all[i] = i;
      builder->build(r, all, body, unreadable);
      return body.size();
    });
  }
  run("libprotobuf",
      [&](const OutBatch& r, std::string& body) { return build_with_libprotobuf(r, body); });
  return 0;
}
