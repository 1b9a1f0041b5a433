// The otlp and elasticsearch outputs against real collectors on loopback: an OTLP receiver that
// decodes every request with libprotobuf (and proto3 JSON with libprotobuf's JSON parser and
// nlohmann), and a _bulk endpoint with Elasticsearch's create semantics.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "agent/config/agent_config.h"
#include "core/registry/registry.h"
#include "agent/runtime.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "support/checkpoints.h"
#include "support/es_bulk.h"
#include "support/http_server.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;
namespace otlp = opentelemetry::proto;

namespace {

std::string coder_line(int seq, const std::string& level = "INFO") {
  return R"({"ts":"2025-09-16T12:00:00.123456789Z","level":")" + level +
         R"(","msg":"line","logger_names":["coderd"],"fields":{"seq":)" + std::to_string(seq) +
         "}}\n";
}
std::string coder_lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += coder_line(i);
  return s;
}

// An agent in this process: the given files (name → text, slog_json or CRI by name) → outputs.
struct Agent {
  TempDir dir;
  std::unique_ptr<AgentConfig> cfg;
  std::unique_ptr<Runtime> rt;
  std::vector<std::string> files;
  Agent(const std::map<std::string, std::string>& inputs, const std::string& outputs_yaml) {
    std::string inputs_yaml;
    for (const auto& [name, text] : inputs) {
      std::string path = dir / ("in/" + name);
      std::filesystem::create_directories(std::filesystem::path(path).parent_path());
      write_text(path, text);
      files.push_back(path);
      inputs_yaml += "  - {type: file, name: " + std::to_string(files.size()) + ", paths: [\"" +
                     path + "\"], poll_interval: 10ms}\n";
    }
    cfg = std::make_unique<AgentConfig>();
    Diagnostics d("t");
    std::string yaml = "data_dir: " + dir / "data" +
                       "\nhost: test-host\npipeline: {checkpoint_interval: 20ms}\ninputs:\n" +
                       inputs_yaml + "outputs:\n" + outputs_yaml;
    EXPECT_TRUE(load_config_text(yaml, "t", process_env(), *cfg, d)) << d.to_string();
    rt = std::make_unique<Runtime>(*cfg);
    std::string err;
    EXPECT_TRUE(rt->start(err)) << err;
  }
  ~Agent() { rt->stop(); }
  // Every file read to its end, delivered or dead-lettered, and its position saved.
  bool caught_up() { return saved_at_end(dir / "data", files); }
  std::vector<json> dlq(const std::string& output) {
    std::vector<json> out;
    for (const auto& l : read_lines(dir / ("data/dlq/" + output + ".ndjson")))
      out.push_back(json::parse(l));
    return out;
  }
  uint64_t metric(const std::string& name, const std::string& labels) {
    return rt->metrics().value(name, labels);
  }
};

// ---- OTLP: the request decoded, and the mapping written again from docs/outputs.md's table.

json any_to_json(const otlp::common::v1::AnyValue& v) {
  using V = otlp::common::v1::AnyValue;
  switch (v.value_case()) {
    case V::kStringValue:
      return v.string_value();
    case V::kBoolValue:
      return v.bool_value();
    case V::kIntValue:
      return v.int_value();
    case V::kDoubleValue:
      return v.double_value();
    case V::kArrayValue: {
      json a = json::array();
      for (const auto& x : v.array_value().values()) a.push_back(any_to_json(x));
      return a;
    }
    case V::kKvlistValue: {
      json o = json::object();
      for (const auto& kv : v.kvlist_value().values()) o[kv.key()] = any_to_json(kv.value());
      return o;
    }
    default:
      return nullptr;
  }
}

struct DecodedRecord {
  std::map<std::string, std::string> resource;
  std::string scope_name, scope_version;
  otlp::logs::v1::LogRecord record;
  std::map<std::string, json> attributes;
};

std::vector<DecodedRecord> decode(const otlp::collector::logs::v1::ExportLogsServiceRequest& req) {
  std::vector<DecodedRecord> out;
  for (const auto& rl : req.resource_logs()) {
    std::map<std::string, std::string> resource;
    for (const auto& kv : rl.resource().attributes())
      resource[kv.key()] = kv.value().string_value();
    EXPECT_EQ(rl.scope_logs_size(), 1);
    for (const auto& sl : rl.scope_logs())
      for (const auto& rec : sl.log_records()) {
        DecodedRecord d{resource, sl.scope().name(), sl.scope().version(), rec, {}};
        for (const auto& kv : rec.attributes()) {
          EXPECT_FALSE(d.attributes.count(kv.key())) << "attribute twice: " << kv.key();
          d.attributes[kv.key()] = any_to_json(kv.value());
        }
        out.push_back(std::move(d));
      }
  }
  return out;
}

std::vector<DecodedRecord> decode_protobuf(const std::vector<Recorded>& reqs) {
  std::vector<DecodedRecord> out;
  for (const auto& r : reqs) {
    EXPECT_EQ(r.path, "/v1/logs");
    EXPECT_EQ(r.header("Content-Type"), "application/x-protobuf");
    otlp::collector::logs::v1::ExportLogsServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(r.body)) << "not an ExportLogsServiceRequest";
    for (auto& d : decode(req)) out.push_back(std::move(d));
  }
  return out;
}

// The attribute an audit/v1 field becomes (docs/outputs.md, "otlp": the mapping table).
std::map<std::string, json> expected_attributes(const json& event) {
  static const std::map<std::string, std::string> renamed = {
      {"event_id", "log.record.uid"},         {"actor.id", "user.id"},
      {"actor.username", "user.name"},        {"actor.email", "user.email"},
      {"actor.ip", "client.address"},         {"actor.user_agent", "user_agent.original"},
      {"http.method", "http.request.method"}, {"http.url", "url.full"},
      {"http.host", "server.address"},        {"error", "exception.message"},
      {"source.path", "log.file.path"}};
  static const std::set<std::string> whole = {"diff", "additional_fields", "fields",
                                              "source.journal"};
  static const std::set<std::string> elsewhere = {"schema",
                                                  "time",
                                                  "observed_time",
                                                  "severity",
                                                  "message",
                                                  "source.host",
                                                  "source.kubernetes.namespace",
                                                  "source.kubernetes.pod",
                                                  "source.kubernetes.container"};
  std::map<std::string, json> out;
  std::function<void(const json&, const std::string&)> walk = [&](const json& obj,
                                                                  const std::string& prefix) {
    for (const auto& [k, v] : obj.items()) {
      std::string path = prefix.empty() ? k : prefix + "." + k;
      if (elsewhere.count(path)) continue;
      if (v.is_object() && !whole.count(path)) {
        walk(v, path);
        continue;
      }
      std::string name = renamed.count(path) ? renamed.at(path) : "coder." + path;
      if (path == "status_code" && event["kind"] == "audit") name = "http.response.status_code";
      out[name] = v;
    }
  };
  walk(event, "");
  return out;
}

uint64_t unix_nanos(const std::string& rfc3339) {
  // "2025-09-16T12:00:00.123456789Z" with 0..9 fraction digits
  std::tm tm{};
  strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  uint64_t s = static_cast<uint64_t>(timegm(&tm));
  uint64_t ns = 0;
  size_t dot = rfc3339.find('.');
  if (dot != std::string::npos) {
    std::string frac = rfc3339.substr(dot + 1, rfc3339.size() - dot - 2);
    frac.resize(9, '0');
    ns = std::stoull(frac);
  }
  return s * 1000000000ull + ns;
}

// Checks one record against the audit/v1 event it came from, field by field.
void expect_mapped(const DecodedRecord& d, const json& event) {
  SCOPED_TRACE(event.dump().substr(0, 200));
  static const std::map<std::string, std::pair<int, std::string>> severity = {
      {"debug", {5, "DEBUG"}},  {"info", {9, "INFO"}},          {"warn", {13, "WARN"}},
      {"error", {17, "ERROR"}}, {"critical", {18, "CRITICAL"}}, {"fatal", {21, "FATAL"}}};
  EXPECT_EQ(d.scope_name, "auditrelay");
  EXPECT_EQ(d.scope_version, AUDITRELAY_VERSION);
  EXPECT_EQ(d.record.time_unix_nano(), unix_nanos(event["time"]));
  EXPECT_EQ(d.record.observed_time_unix_nano(), unix_nanos(event["observed_time"]));
  auto [number, text] = severity.at(event["severity"]);
  EXPECT_EQ(d.record.severity_number(), number);
  EXPECT_EQ(d.record.severity_text(), text);
  EXPECT_EQ(d.record.body().string_value(), event.value("message", ""));
  EXPECT_EQ(d.record.event_name(), "coder." + event["kind"].get<std::string>());
  EXPECT_EQ(d.attributes, expected_attributes(event));
  std::string logger = event.value("logger", "");
  EXPECT_EQ(d.resource.at("service.name"),
            logger.rfind("provisionerd", 0) == 0 ? "provisionerd" : "coderd");
  EXPECT_EQ(d.resource.at("host.name"), event["source"]["host"]);
  if (event["source"].contains("kubernetes")) {
    EXPECT_EQ(d.resource.at("k8s.namespace.name"), event["source"]["kubernetes"]["namespace"]);
    EXPECT_EQ(d.resource.at("k8s.pod.name"), event["source"]["kubernetes"]["pod"]);
    EXPECT_EQ(d.resource.at("k8s.container.name"), event["source"]["kubernetes"]["container"]);
  } else {
    EXPECT_FALSE(d.resource.count("k8s.pod.name"));
  }
}

std::string sample(const std::string& name) {
  return slurp(std::string(AUDITRELAY_SAMPLES_DIR) + "/" + name);
}

// The same Coder entry can be in two samples (JSON and human renderings of one log): events are
// told apart by id and where they were read.
std::string event_key(const std::string& id, const json& path, const json& offset) {
  return id + " " + path.dump() + " " + offset.dump();
}
std::string event_key(const DecodedRecord& d) {
  auto get = [&](const std::string& k) {
    return d.attributes.count(k) ? d.attributes.at(k) : json();
  };
  return event_key(get("log.record.uid"), get("log.file.path"), get("coder.source.offset"));
}

std::map<std::string, json> events_by_key(const std::vector<std::string>& files) {
  std::map<std::string, json> out;
  for (const auto& f : files)
    for (const auto& l : read_lines(f)) {
      json e = json::parse(l);
      out[event_key(e["event_id"], e["source"].value("path", json()),
                    e["source"].value("offset", json()))] = e;
    }
  return out;
}

}  // namespace

TEST(Otlp, ProtobufRequestsCarryEveryFieldOfEveryEvent) {
  TestHttpServer collector;
  TempDir out;
  Agent agent({{"coderd.json.log", sample("coderd.json.log")},
               {"coderd.human.log", sample("coderd.human.log")},
               {"containers/coder-7c9d_coder-ns_coder-0123abcd.log", sample("container.cri.log")}},
              "  - {type: otlp, url: \"" + collector.url() +
                  "/\", batch: {max_events: 7}}\n"
                  "  - {type: file, path: \"" +
                  out / "events.ndjson" + "\"}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  auto events = events_by_key({out / "events.ndjson"});
  auto records = decode_protobuf(collector.requests());
  ASSERT_GT(events.size(), 20u);
  ASSERT_EQ(records.size(), events.size());
  std::set<std::string> kinds;
  bool saw_pod = false;
  for (const auto& d : records) {
    std::string key = event_key(d);
    ASSERT_TRUE(events.count(key)) << key;
    expect_mapped(d, events.at(key));
    kinds.insert(events.at(key)["kind"]);
    saw_pod |= d.resource.count("k8s.pod.name") > 0;
  }
  // The samples hold every kind the mapping treats differently.
  EXPECT_TRUE(kinds.count("audit") && kinds.count("connection") && kinds.count("log"))
      << kinds.size();
  EXPECT_TRUE(saw_pod) << "the container log's pod is a resource attribute";
  // Records of one resource share one ResourceLogs: no request repeats a resource.
  for (const auto& r : collector.requests()) {
    otlp::collector::logs::v1::ExportLogsServiceRequest req;
    ASSERT_TRUE(req.ParseFromString(r.body));
    std::set<std::string> seen;
    for (const auto& rl : req.resource_logs())
      EXPECT_TRUE(seen.insert(rl.resource().SerializeAsString()).second);
  }
}

// schema: ocsf: each record's body is the OCSF event as JSON text, with the event's time,
// severity and event name; the same events as a file output of the same schema receives.
TEST(Otlp, OcsfEventsAreTheRecordBodies) {
  TestHttpServer collector;
  TempDir out;
  Agent agent({{"coderd.json.log", sample("coderd.json.log")}},
              "  - {type: otlp, schema: ocsf, url: \"" + collector.url() +
                  "/\", batch: {max_events: 7}}\n"
                  "  - {type: file, schema: ocsf, path: \"" + out / "events.ndjson" + "\"}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  std::map<std::string, json> by_uid;
  for (const auto& l : read_lines(out / "events.ndjson")) {
    json e = json::parse(l);
    by_uid[e["metadata"]["uid"].get<std::string>()] = e;
  }
  auto records = decode_protobuf(collector.requests());
  ASSERT_GT(records.size(), 20u);
  ASSERT_EQ(records.size(), by_uid.size());
  for (const auto& d : records) {
    ASSERT_TRUE(d.record.body().has_string_value());
    json body = json::parse(d.record.body().string_value());
    const std::string uid = body["metadata"]["uid"];
    ASSERT_TRUE(by_uid.count(uid)) << uid;
    EXPECT_EQ(body, by_uid.at(uid));
    EXPECT_EQ(d.record.time_unix_nano() / 1000000, body["time"].get<uint64_t>());
    EXPECT_EQ(d.record.event_name(), "coder." + body["unmapped"]["kind"].get<std::string>());
    EXPECT_GT(d.record.severity_number(), 0);
    EXPECT_EQ(d.resource.at("service.name"), "coderd");
  }
}

TEST(Otlp, JsonEncodingFollowsTheProto3JsonMappingWithGzip) {
  TestHttpServer collector;
  TempDir out;
  Agent agent(
      {{"coderd.json.log", sample("coderd.json.log")}},
      "  - {type: otlp, url: \"" + collector.url() +
          "\", encoding: json, compression: gzip, path: /otlp/v1/logs, service_name: coder-prod, "
          "headers: {X-Scope-OrgID: tenant-1}, auth: {bearer_token: s3cret}}\n"
          "  - {type: file, path: \"" +
          out / "events.ndjson" + "\"}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  auto events = events_by_key({out / "events.ndjson"});
  size_t records = 0;
  for (const auto& r : collector.requests()) {
    EXPECT_EQ(r.path, "/otlp/v1/logs");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    EXPECT_EQ(r.header("Authorization"), "Bearer s3cret");
    EXPECT_EQ(r.header("X-Scope-OrgID"), "tenant-1");
    // libprotobuf's own JSON parser, strict about unknown fields: the encoding is proto3 JSON.
    otlp::collector::logs::v1::ExportLogsServiceRequest req;
    auto status = google::protobuf::util::JsonStringToMessage(r.body, &req);
    ASSERT_TRUE(status.ok()) << status.ToString() << "\n" << r.body.substr(0, 300);
    for (auto& d : decode(req)) {
      ++records;
      const json& event = events.at(event_key(d));
      auto expected = event;
      EXPECT_EQ(d.resource.at("service.name"), "coder-prod");
      d.resource["service.name"] =
          event.value("logger", "").rfind("provisionerd", 0) == 0 ? "provisionerd" : "coderd";
      expect_mapped(d, expected);
    }
    // What the JSON mapping prescribes beyond what the parser accepts: 64-bit integers as
    // strings, the severity as a number, lowerCamelCase keys.
    json doc = json::parse(r.body);
    const json& rec = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
    EXPECT_TRUE(rec["timeUnixNano"].is_string());
    EXPECT_TRUE(rec["observedTimeUnixNano"].is_string());
    EXPECT_TRUE(rec["severityNumber"].is_number_integer());
    for (const auto& a : rec["attributes"]) {
      if (a["value"].contains("intValue")) {
        EXPECT_TRUE(a["value"]["intValue"].is_string());
      }
    }
  }
  EXPECT_EQ(records, events.size());
}

// A value nested as deep as audit/v1 allows (32 levels) still decodes with libprotobuf's default
// 100-level limit: past 16 levels the value is its JSON text.
TEST(Otlp, DeepValuesStayWithinProtobufNestingLimits) {
  std::string nested = "1";
  for (int i = 0; i < 40; ++i) nested = R"({"k":)" + nested + "}";
  TestHttpServer collector;
  Agent agent(
      {{"a.log",
        R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"deep","logger_names":["coderd"],"fields":{"deep":)" +
            nested + "}}\n"}},
      "  - {type: otlp, url: \"" + collector.url() + "\"}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  auto records = decode_protobuf(collector.requests());
  ASSERT_EQ(records.size(), 1u);
  json v = records[0].attributes.at("coder.fields");
  int depth = 0;
  while (v.is_object()) {
    v = v.begin().value();
    ++depth;
  }
  EXPECT_EQ(depth, 16);
  ASSERT_TRUE(v.is_string());
  EXPECT_TRUE(json::parse(v.get<std::string>()).is_object());
}

TEST(Otlp, AnswersDecideRetryAndDeadLetters) {
  TestHttpServer collector;
  google::rpc::Status bad;
  bad.set_code(3);
  bad.set_message("log record 0: attribute value too long");
  otlp::collector::logs::v1::ExportLogsServiceResponse partial;
  partial.mutable_partial_success()->set_rejected_log_records(1);
  partial.mutable_partial_success()->set_error_message("1 record over the size limit");
  // One event per request, in order: 503 then delivered; 200 with a partial success; 400;
  // 429 then delivered; 404.
  collector.script({503, "", "0"});
  collector.script({200, ""});
  collector.script({200, partial.SerializeAsString()});
  collector.script({400, bad.SerializeAsString()});
  collector.script({429, "", "0"});
  collector.script({200, ""});
  collector.script({404, "not found"});
  Agent agent({{"a.log", coder_lines(5)}},
              "  - {type: otlp, url: \"" + collector.url() +
                  "\", concurrency: 1, batch: {max_events: 1}, retry: {initial: 10ms, max: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 7u);
  auto seq_of = [](const Recorded& r) {
    otlp::collector::logs::v1::ExportLogsServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(r.body));
    return decode(req).at(0).attributes.at("coder.fields").at("seq").get<int>();
  };
  std::vector<int> sent;
  for (const auto& r : requests) sent.push_back(seq_of(r));
  EXPECT_EQ(sent, (std::vector<int>{0, 0, 1, 2, 3, 3, 4}));
  auto dlq = agent.dlq("otlp");
  ASSERT_EQ(dlq.size(), 3u);
  EXPECT_EQ(dlq[0]["event"]["fields"]["seq"], 1);
  EXPECT_NE(dlq[0]["reason"].get<std::string>().find("rejected 1 of 1 log records"),
            std::string::npos)
      << dlq[0];
  EXPECT_NE(dlq[0]["reason"].get<std::string>().find("1 record over the size limit"),
            std::string::npos);
  EXPECT_EQ(dlq[1]["event"]["fields"]["seq"], 2);
  EXPECT_EQ(dlq[1]["reason"], "HTTP 400: log record 0: attribute value too long");
  EXPECT_EQ(dlq[2]["event"]["fields"]["seq"], 4);
  EXPECT_EQ(dlq[2]["reason"], "HTTP 404: not found");
  EXPECT_EQ(agent.metric("auditrelay_otlp_rejected_log_records_total", "output=\"otlp\""), 1u);
}

TEST(Otlp, RequestTooLargeIsSplitAndAuthFailuresWait) {
  TestHttpServer collector;
  std::atomic<int> unauthorized{2};
  collector.set_handler([&](const Recorded& r) -> Scripted {
    if (unauthorized.fetch_sub(1) > 0) return {401, "token expired"};
    otlp::collector::logs::v1::ExportLogsServiceRequest req;
    EXPECT_TRUE(req.ParseFromString(r.body));
    return {decode(req).size() > 3 ? 413 : 200, ""};
  });
  Agent agent({{"a.log", coder_lines(20)}},
              "  - {type: otlp, url: \"" + collector.url() +
                  "\", batch: {max_events: 20}, retry: {initial: 10ms, max: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  std::multiset<int> delivered;
  for (const auto& r : collector.requests()) {
    otlp::collector::logs::v1::ExportLogsServiceRequest req;
    ASSERT_TRUE(req.ParseFromString(r.body));
    auto records = decode(req);
    if (records.size() <= 3)
      for (const auto& d : records)
        delivered.insert(d.attributes.at("coder.fields").at("seq").get<int>());
  }
  EXPECT_EQ(delivered.size(), 20u);
  EXPECT_EQ(std::set<int>(delivered.begin(), delivered.end()).size(), 20u);
  EXPECT_TRUE(agent.dlq("otlp").empty()) << "a 401 or a 413 dead-lettered events";
}

// The plugin alone: an event that is not a JSON object in a batch the collector refuses. Each
// event gets one outcome, and the readable ones are the ones refused.
TEST(Otlp, UnreadableEventsAreRejectedOnceAndTheRestJudgedByTheAnswer) {
  TestHttpServer collector;
  collector.set_default_body("");
  collector.script({400, "bad"});
  const PluginDescriptor* d = Registry::instance().find(PluginKind::Output, "otlp");
  ASSERT_NE(d, nullptr);
  Diagnostics diags("t");
  Options o = validate_options(YAML::Load("{url: \"" + collector.url() + "\"}"), d->options,
                               "outputs[0]", diags);
  ASSERT_TRUE(diags.ok()) << diags.to_string();
  auto out = d->make_output(PluginContext{"otlp"}, o);
  EncodedBatch enc;
  for (std::string text :
       {"not json", R"({"kind":"log","message":"b"})", R"({"kind":"log","message":"c"})"}) {
    enc.events.push_back(
        {{Slice{static_cast<uint32_t>(enc.json.size()), static_cast<uint32_t>(text.size())}}, 1, {}});
    enc.json += text;
  }
  OutBatch batch;
  for (const auto& ev : enc.events) batch.events.push_back({enc.event_json(ev), &ev.meta, &enc});
  SendResult r = out->send(batch);
  EXPECT_EQ(r.status, SendResult::Status::Rejected);
  EXPECT_EQ(r.rejected, (std::vector<size_t>{0, 1, 2}));
  ASSERT_EQ(r.reasons.size(), 3u);
  EXPECT_NE(r.reasons[0].find("not a JSON object"), std::string::npos);
  EXPECT_EQ(r.reasons[1], "HTTP 400: bad");
  // The 200 that follows delivers the two readable events, and the unreadable one stays refused.
  r = out->send(batch);
  EXPECT_EQ(r.status, SendResult::Status::Rejected);
  EXPECT_EQ(r.rejected, (std::vector<size_t>{0}));
  otlp::collector::logs::v1::ExportLogsServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(collector.requests().back().body));
  EXPECT_EQ(decode(req).size(), 2u);
}

TEST(Otlp, RetryAfterDelaysTheNextAttempt) {
  TestHttpServer collector;
  collector.script({503, "", "1"});
  Agent agent({{"a.log", coder_lines(1)}}, "  - {type: otlp, url: \"" + collector.url() +
                                               "\", retry: {initial: 10ms, max: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return collector.requests().size() >= 1; }));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return collector.requests().size() >= 2; }));
  // Behaviour, not speed: the second attempt did not come before the collector's Retry-After
  // (half of it, given jitter), though the backoff alone would have sent it after 10 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(450));
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
}

// ---- Elasticsearch

namespace {
struct EsAgent {
  TestHttpServer server;
  EsBulkStore store;
  std::unique_ptr<Agent> agent;
  EsAgent(const std::string& text, const std::string& options) {
    server.set_handler([this](const Recorded& r) { return store.answer(r); });
    agent = std::make_unique<Agent>(
        std::map<std::string, std::string>{{"a.log", text}},
        "  - {type: elasticsearch, url: \"" + server.url() + "\"" + options + "}\n");
  }
  uint64_t items(const std::string& outcome) {
    return agent->metric("auditrelay_elasticsearch_items_total",
                         "output=\"elasticsearch\",outcome=\"" + outcome + "\"");
  }
};
int seq(const json& doc) {
  return doc["fields"]["seq"].get<int>();
}
}  // namespace

TEST(Elasticsearch, CreatesEachEventUnderItsIdInADatedIndex) {
  EsAgent es(coder_lines(100) + coder_line(100, "ERROR"),
             ", index: \"coder-{kind}-{severity}-%Y.%m.%d\", auth: {api_key: a2V5aWQ6c2VjcmV0}, "
             "pipeline: coder-audit, compression: gzip");
  ASSERT_TRUE(wait_until([&] { return es.agent->caught_up(); }));
  auto docs = es.store.docs();
  ASSERT_EQ(docs.size(), 2u);
  ASSERT_EQ(docs["coder-log-info-2025.09.16"].size(), 100u);
  ASSERT_EQ(docs["coder-log-error-2025.09.16"].size(), 1u);
  for (const auto& [id, doc] : docs["coder-log-info-2025.09.16"]) EXPECT_EQ(id, doc["event_id"]);
  EXPECT_TRUE(es.store.malformed().empty());
  for (const auto& r : es.server.requests()) {
    EXPECT_EQ(r.header("Authorization"), "ApiKey a2V5aWQ6c2VjcmV0");
    EXPECT_EQ(r.header("Content-Encoding"), "gzip");
    EXPECT_EQ(r.params.find("pipeline")->second, "coder-audit");
    EXPECT_NE(r.params.find("filter_path")->second.find("items.*.status"), std::string::npos);
  }
  EXPECT_EQ(es.items("created"), 101u);
}

// A field value with characters index names cannot hold still names a valid index.
TEST(Elasticsearch, IndexNamesAreMadeValid) {
  EsAgent es(R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"m","logger_names":["coderd"],"workspace_name":"My WS/1"})"
             "\n",
             ", index: \"Coder-{workspace.name}\"");
  ASSERT_TRUE(wait_until([&] { return es.agent->caught_up(); }));
  auto docs = es.store.docs();
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs.begin()->first, "coder-my_ws_1");
}

TEST(Elasticsearch, ItemsAreJudgedOneByOne) {
  // seq 7: a mapping error (dead-lettered with its type and reason); every seq % 10 == 3: 429
  // twice, then stored; ids the server already holds: 409, delivered.
  std::map<int, int> rejections;
  std::mutex mu;
  TestHttpServer server;
  EsBulkStore store;
  store.script([&](const json&, const json& doc) {
    std::lock_guard lock(mu);
    int s = seq(doc);
    if (s == 7) return 400;
    if (s % 10 == 3 && rejections[s]++ < 2) return 429;
    return 0;
  });
  server.set_handler([&](const Recorded& r) {
    Scripted a = store.answer(r);
    return a;
  });
  TempDir first_run;
  {
    // An earlier delivery of the first 20 events (as after a crash): they are already stored.
    Agent agent({{"a.log", coder_lines(20)}}, "  - {type: elasticsearch, url: \"" + server.url() +
                                                  "\", retry: {initial: 10ms, max: 20ms}}\n");
    ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  }
  const size_t stored_before = store.stored();
  EXPECT_EQ(stored_before, 19u);  // seq 7 refused
  Agent agent({{"a.log", coder_lines(50)}}, "  - {type: elasticsearch, url: \"" + server.url() +
                                                "\", retry: {initial: 10ms, max: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  EXPECT_EQ(store.stored(), 49u);
  EXPECT_EQ(store.conflicts(), 19u);
  auto dlq = agent.dlq("elasticsearch");
  ASSERT_EQ(dlq.size(), 1u);
  EXPECT_EQ(seq(dlq[0]["event"]), 7);
  EXPECT_EQ(dlq[0]["reason"],
            "item status 400: mapper_parsing_exception: failed to parse field [x]");
  auto items = [&](const std::string& o) {
    return agent.metric("auditrelay_elasticsearch_items_total",
                        "output=\"elasticsearch\",outcome=\"" + o + "\"");
  };
  EXPECT_EQ(items("duplicate"), 19u);
  EXPECT_EQ(items("created"), 30u);
  EXPECT_EQ(items("rejected"), 1u);
  EXPECT_EQ(items("retried"), 6u);  // seq 23, 33, 43 twice each (3 and 13 were in the first run)
}

// An answer without one status per event sent proves nothing was stored: those events are sent
// again, even when it says "errors": false.
TEST(Elasticsearch, AnAnswerWithoutItemsStoresNothing) {
  TestHttpServer server;
  EsBulkStore store;
  std::atomic<int> hollow{1};
  server.set_handler([&](const Recorded& r) -> Scripted {
    if (hollow.fetch_sub(1) > 0) return {200, R"({"errors":false})"};
    return store.answer(r);
  });
  Agent agent({{"a.log", coder_lines(10)}}, "  - {type: elasticsearch, url: \"" + server.url() +
                                                "\", retry: {initial: 10ms, max: 20ms}}\n");
  ASSERT_TRUE(wait_until([&] { return agent.caught_up(); }));
  EXPECT_EQ(store.stored(), 10u);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(Elasticsearch, RequestTooLargeIsSplit) {
  EsAgent es(coder_lines(64), ", batch: {max_events: 64}");
  es.store.script_request([](size_t items) { return items > 10 ? 413 : 0; });
  ASSERT_TRUE(wait_until([&] { return es.agent->caught_up(); }));
  EXPECT_EQ(es.store.stored(), 64u);
  EXPECT_TRUE(es.agent->dlq("elasticsearch").empty());
}

TEST(Elasticsearch, ServerDownKeepsEverythingQueued) {
  EsAgent es(coder_lines(30), ", retry: {initial: 10ms, max: 20ms}");
  std::atomic<int> refused{0};
  es.store.script_request([&](size_t) { return refused.fetch_add(1) < 3 ? 503 : 0; });
  ASSERT_TRUE(wait_until([&] { return es.agent->caught_up(); }));
  EXPECT_EQ(es.store.stored(), 30u);
  EXPECT_GE(refused.load(), 3);
}

// At least once delivery, exactly once storage: the agent is killed three times while batches
// are in flight and parts of them wait to be retried (item-level 429s); each restart sends again
// what was not acknowledged, and the server refuses what it already holds by _id.
TEST(Elasticsearch, KillDashNineThreeTimesStoresEachEventOnce) {
  TempDir dir;
  const int n = 50000;
  std::filesystem::create_directories(dir / "in");
  write_text(dir / "in/coderd.log", coder_lines(n));
  TestHttpServer server;
  EsBulkStore store;
  // Every 7th line is refused with 429 the first two times: parts of batches are being retried
  // while the rest of their batch, and later batches, are stored, when each kill comes.
  std::mutex refused_mu;
  std::map<int, int> refused;
  store.script([&](const json&, const json& doc) {
    std::lock_guard lock(refused_mu);
    int s = seq(doc);
    return s % 7 == 0 && refused[s]++ < 2 ? 429 : 0;
  });
  server.set_handler([&](const Recorded& r) { return store.answer(r); });
  write_text(dir / "cfg.yaml",
             "data_dir: " + dir / "data" +
                 "\npipeline: {checkpoint_interval: 20ms, max_in_flight: 1MiB}\n"
                 "inputs:\n  - {type: file, paths: [\"" +
                 dir / "in" +
                 "/*.log\"], read_buffer: 64KiB, poll_interval: 10ms}\n"
                 "outputs:\n  - {type: elasticsearch, url: \"" +
                 server.url() + "\", concurrency: 4, batch: {max_events: 300, max_delay: 20ms}, "
                                   "retry: {initial: 50ms, max: 100ms}}\n");
  std::mt19937 rng(22);
  for (int round = 0; round < 3; ++round) {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                    dir / ("stderr" + std::to_string(round)));
    const size_t before = store.stored();
    ASSERT_TRUE(wait_until([&] {
      return store.stored() > before + 2000 || store.stored() == static_cast<size_t>(n);
    })) << slurp(dir / ("stderr" + std::to_string(round)));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 50));
    c.signal(SIGKILL);
    EXPECT_EQ(c.wait(), 128 + SIGKILL);
  }
  Child last = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout",
                     dir / "stderr-last");
  ASSERT_TRUE(wait_until([&] { return saved_at_end(dir / "data", {dir / "in/coderd.log"}); }))
      << slurp(dir / "stderr-last");
  last.signal(SIGTERM);
  EXPECT_EQ(last.wait(), 0);

  auto docs = store.docs();
  ASSERT_EQ(docs.size(), 1u);
  const auto& by_id = docs.begin()->second;
  EXPECT_EQ(by_id.size(), static_cast<size_t>(n)) << "stored";
  std::vector<int> times(n, 0);
  for (const auto& [id, doc] : by_id) {
    EXPECT_EQ(id, doc["event_id"]);
    ++times.at(static_cast<size_t>(seq(doc)));
  }
  EXPECT_EQ(std::count(times.begin(), times.end(), 1), n) << "every line stored once";
  EXPECT_TRUE(store.malformed().empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "data/dlq/elasticsearch.ndjson"));
  RecordProperty("conflicts", static_cast<int>(store.conflicts()));
}

// ---- Bad configuration: located validate errors.

TEST(CollectorOutputs, BadConfigIsALocatedError) {
  auto problems = [](const std::string& output) {
    AgentConfig cfg;
    Diagnostics d("cfg.yaml");
    std::string yaml = "inputs:\n  - {type: file, paths: [/tmp/x.log]}\noutputs:\n" + output;
    load_config_text(yaml, "cfg.yaml", process_env(), cfg, d);
    return d.to_string();
  };
  std::string scheme = problems("  - {type: otlp, url: \"ftp://collector:4318\"}\n");
  EXPECT_NE(scheme.find("cfg.yaml:4"), std::string::npos) << scheme;
  EXPECT_NE(scheme.find("outputs[0].url"), std::string::npos) << scheme;
  EXPECT_NE(scheme.find("http:// or https://"), std::string::npos) << scheme;
  std::string encoding = problems("  - type: otlp\n    url: http://c:4318\n    encoding: thrift\n");
  EXPECT_NE(encoding.find("cfg.yaml:6"), std::string::npos) << encoding;
  EXPECT_NE(encoding.find("outputs[0].encoding"), std::string::npos) << encoding;
  EXPECT_NE(encoding.find("protobuf"), std::string::npos) << encoding;
  std::string index = problems(
      "  - type: elasticsearch\n    url: http://es:9200\n    index: \"coder-{kindd}-%Y\"\n");
  EXPECT_NE(index.find("cfg.yaml:6"), std::string::npos) << index;
  EXPECT_NE(index.find("outputs[0].index"), std::string::npos) << index;
  EXPECT_NE(index.find("{kindd}"), std::string::npos) << index;
  std::string date =
      problems("  - type: elasticsearch\n    url: http://es:9200\n    index: \"coder-%b\"\n");
  EXPECT_NE(date.find("'%b'"), std::string::npos) << date;
  std::string es_scheme = problems("  - {type: elasticsearch, url: \"es:9200\"}\n");
  EXPECT_NE(es_scheme.find("outputs[0].url"), std::string::npos) << es_scheme;
}
