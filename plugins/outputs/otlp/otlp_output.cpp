// Output `otlp`: OTLP/HTTP logs. POSTs an ExportLogsServiceRequest (protobuf by default, or
// proto3 JSON) to {url}{path}. Answers, per the OTLP specification: 2xx delivered, except that a
// partial_success with rejected records dead-letters the request's records (the collector does
// not say which it refused); 429, 502, 503, 504 retried honouring Retry-After (other 5xx and
// transport errors too: audit events wait rather than go to the dead-letter file over a
// collector's transient fault); 400 and other 4xx permanent, with the collector's message.
#include <memory>
#include <string>

#include "agent/metrics/metrics.h"
#include "agent/plugin/output.h"
#include "agent/registry/registry.h"
#include "plugins/common/http_client.h"
#include "plugins/outputs/otlp/otlp_request.h"
#include "plugins/outputs/otlp/otlp_response.h"

namespace auditrelay {
namespace {

class OtlpOutput final : public Output {
 public:
  OtlpOutput(const PluginContext& ctx, const Options& o)
      : client_(http_client_options(o)),
        url_(trim_slash(o.str("url")) + o.str("path", "/v1/logs")),
        json_(o.str("encoding", "protobuf") == "json"),
        gzip_(o.str("compression", "none") == "gzip"),
        builder_(OtlpRequestBuilder::make(
            {.json = json_, .service_name = o.str("service_name"), .scope_version = AUDITRELAY_VERSION})) {
    if (ctx.metrics)
      rejected_records_ = &ctx.metrics->counter("auditrelay_otlp_rejected_log_records_total",
                                                "output=\"" + ctx.name + "\"");
  }

  // What OTLP's wrapping adds to the event's JSON, so that batch.max_bytes bounds the request
  // (tests/bench/otlp_encode_bench: protobuf 0.99 bytes per byte of audit/v1 JSON, proto3 JSON
  // 2.01).
  size_t framing_bytes(const OutEvent& e) const override {
    return json_ ? e.json.size() + 64 : 16;
  }

  SendResult send(const OutBatch& batch) override {
    std::vector<size_t> all(batch.events.size()), unreadable;
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    builder_->build(batch, all, body_, unreadable);
    std::vector<std::string> headers{
        json_ ? "Content-Type: application/json" : "Content-Type: application/x-protobuf"};
    HttpResponse r;
    if (gzip_) {
      headers.push_back("Content-Encoding: gzip");
      r = client_.post(url_, gzip_compress(body_), headers);
    } else {
      r = client_.post(url_, body_, headers);
    }
    SendResult result = classify(r, batch.events.size() - unreadable.size());
    for (size_t i : unreadable) {
      result.rejected.push_back(i);
      result.reasons.resize(result.rejected.size(), result.reason);
      result.reasons.back() = "not a JSON event (cannot be mapped to OTLP)";
    }
    if (result.status == SendResult::Status::Delivered && !result.rejected.empty())
      result.status = SendResult::Status::Rejected;
    return result;
  }

 private:
  SendResult classify(const HttpResponse& r, size_t records) {
    if (r.status == 0) return SendResult::retry("transport error: " + r.error);
    if (r.status >= 200 && r.status < 300) return partial_success(r, records);
    std::string message = status_message(r.body, json_);
    if (message.empty()) message = r.body.substr(0, 256);
    std::string why = "HTTP " + std::to_string(r.status) + ": " + message;
    if (r.status == 429 || r.status == 408 || r.status >= 500)
      return SendResult::retry(why, r.retry_after);
    return reject_request(records, why);
  }

  // A 2xx with rejected records: which ones, the collector does not say, so the dead-letter
  // file gets every record of the request, with the count in the reason; the exact count is
  // auditrelay_otlp_rejected_log_records_total.
  SendResult partial_success(const HttpResponse& r, size_t records) {
    OtlpPartialSuccess ps = parse_partial_success(r.body, json_);
    if (ps.rejected_log_records <= 0) return SendResult::delivered();
    if (rejected_records_)
      rejected_records_->fetch_add(static_cast<uint64_t>(ps.rejected_log_records),
                                   std::memory_order_relaxed);
    return reject_request(records, "the collector rejected " +
                                       std::to_string(ps.rejected_log_records) + " of " +
                                       std::to_string(records) +
                                       " log records of this request (partial_success; it does "
                                       "not say which): " + ps.error_message);
  }

  // Every record the request carried (the unreadable ones are added by send()).
  SendResult reject_request(size_t records, const std::string& why) {
    std::vector<size_t> which;
    which.reserve(records);
    for (size_t i = 0; which.size() < records; ++i) which.push_back(i);
    return SendResult::rejected_events(std::move(which), why);
  }

  static std::string trim_slash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
  }

  HttpClient client_;
  std::string url_;
  bool json_, gzip_;
  std::unique_ptr<OtlpRequestBuilder> builder_;
  std::string body_;
  Metrics::Counter* rejected_records_ = nullptr;
};

std::vector<OptionSpec> specs() {
  std::vector<OptionSpec> s = {
      {"url", OptType::String, "", true,
       "collector base URL (http:// or https://), e.g. http://otel-collector:4318"},
      {"path", OptType::String, "/v1/logs", false, "request path appended to url"},
      {"encoding", OptType::Enum, "protobuf", false,
       "request body: protobuf (application/x-protobuf) or proto3 JSON (application/json)",
       {"protobuf", "json"}},
      {"compression", OptType::Enum, "none", false, "request body compression", {"none", "gzip"}},
      {"service_name", OptType::String, "", false,
       "resource attribute service.name (default: the Coder component: coderd, provisionerd)"},
  };
  auto common = http_client_specs();
  s.insert(s.end(), common.begin(), common.end());
  return s;
}

void validate(const Options& o, const std::string& path, Diagnostics& d) {
  validate_http_client(o, path, d);
  std::string p = o.str("path", "/v1/logs");
  if (p.empty() || p[0] != '/')
    d.error(o.line("path"), path + ".path", "must start with '/' (such as /v1/logs)");
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "otlp",
    .summary = "OTLP/HTTP logs (protobuf or JSON) to an OpenTelemetry Collector, Alloy, or any "
               "OTLP endpoint",
    .options = specs(),
    .make_output = [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Output> {
      return std::make_unique<OtlpOutput>(ctx, o);
    },
    .validate = validate,
    .metrics = {{"auditrelay_otlp_rejected_log_records_total", MetricType::Counter, "output",
                 "log records a collector reported rejected (partial_success)"}},
});

}  // namespace
}  // namespace auditrelay
