// Output `otlp`: OTLP/HTTP logs. POSTs an ExportLogsServiceRequest (protobuf by default, or
// proto3 JSON) to {url}{path}. Answers, per the OTLP specification: 2xx delivered, except that a
// partial_success with rejected records dead-letters the request's records (the collector does
// not say which it refused); 429, 502, 503, 504 retried honouring Retry-After (other 5xx, 401,
// 403, redirects and transport errors too: audit events wait rather than go to the dead-letter
// file over a collector's transient fault or a credential being rotated); 413 splits the batch;
// 400 and other 4xx permanent, with the collector's message.
#include <algorithm>
#include <iterator>
#include <memory>
#include <string>

#include "core/metrics/metrics.h"
#include "core/plugin/output.h"
#include "core/registry/registry.h"
#include "plugins/common/http_client.h"
#include "plugins/outputs/common/parts.h"
#include "plugins/outputs/otlp/otlp_request.h"
#include "plugins/outputs/otlp/otlp_response.h"

namespace auditrelay {
namespace {

class OtlpOutput final : public Output {
 public:
  OtlpOutput(const PluginContext& ctx, const Options& o)
      : client_(http_client_options(o)),
        url_(join_url(o.str("url"), o.str("path", "/v1/logs"))),
        json_(o.str("encoding", "protobuf") == "json"),
        gzip_(o.str("compression", "none") == "gzip"),
        builder_(OtlpRequestBuilder::make({.json = json_,
                                           .service_name = o.str("service_name"),
                                           .scope_version = AUDITRELAY_VERSION,
                                           .schema = ctx.schema})) {
    if (ctx.metrics)
      rejected_records_ = &ctx.metrics->counter("auditrelay_otlp_rejected_log_records_total",
                                                "output=\"" + ctx.name + "\"");
  }

  // What OTLP's wrapping adds to the event's JSON, so that batch.max_bytes bounds the request
  // (tests/bench/otlp_encode_bench: protobuf 0.99 bytes per byte of audit/v1 JSON, proto3 JSON
  // 2.01).
  size_t framing_bytes(const OutEvent& e) const override { return json_ ? e.json.size() + 64 : 16; }

  SendResult send(const OutBatch& batch) override {
    std::vector<EventOutcome> outcome(batch.events.size(), EventOutcome::Retry);
    std::vector<std::string> reason(batch.events.size());
    std::string retry_why;
    std::chrono::milliseconds retry_after{0};
    post_in_parts(batch.events.size(), [&](const std::vector<size_t>& part) {
      std::vector<size_t> unreadable;
      builder_->build(batch, part, body_, unreadable);
      for (size_t i : unreadable)
        judge(outcome, reason, i, EventOutcome::Rejected,
              "not a JSON object (cannot be mapped to OTLP)");
      std::vector<size_t> sent;
      std::set_difference(part.begin(), part.end(), unreadable.begin(), unreadable.end(),
                          std::back_inserter(sent));
      if (sent.empty()) return PartAnswer::Judged;
      HttpResponse r = post();
      // Larger than the collector (or a proxy before it) takes: halves.
      if (r.status == 413 && sent.size() > 1) return PartAnswer::TooLarge;
      if (r.status >= 200 && r.status < 300) {
        accepted(r, sent, outcome, reason);
        return PartAnswer::Judged;
      }
      std::string message = status_message(r.body, json_);
      if (message.empty()) message = r.body.substr(0, 256);
      std::string why = r.status == 0 ? "transport error: " + r.error
                                      : "HTTP " + std::to_string(r.status) + ": " + message;
      if (retry_whole_request(r.status)) {
        retry_why = std::move(why);
        retry_after = r.retry_after;
        return PartAnswer::Stop;
      }
      for (size_t i : sent) judge(outcome, reason, i, EventOutcome::Rejected, why);
      return PartAnswer::Judged;
    });
    return result_of(outcome, reason, retry_why, retry_after);
  }

 private:
  HttpResponse post() {
    std::vector<std::string> headers{json_ ? "Content-Type: application/json"
                                           : "Content-Type: application/x-protobuf"};
    if (!gzip_) return client_.post(url_, body_, headers);
    headers.push_back("Content-Encoding: gzip");
    return client_.post(url_, gzip_compress(body_), headers);
  }

  // A 2xx: delivered, unless partial_success says records were rejected. Which ones, the
  // collector does not say, so every record of the request is dead-lettered, with the count in
  // the reason; the exact count is auditrelay_otlp_rejected_log_records_total.
  void accepted(const HttpResponse& r, const std::vector<size_t>& sent,
                std::vector<EventOutcome>& outcome, std::vector<std::string>& reason) {
    OtlpPartialSuccess ps = parse_partial_success(r.body, json_);
    if (ps.rejected_log_records <= 0) {
      for (size_t i : sent) outcome[i] = EventOutcome::Delivered;
      return;
    }
    if (rejected_records_)
      rejected_records_->fetch_add(static_cast<uint64_t>(ps.rejected_log_records),
                                   std::memory_order_relaxed);
    const std::string why = "the collector rejected " + std::to_string(ps.rejected_log_records) +
                            " of " + std::to_string(sent.size()) +
                            " log records of this request (partial_success; it does not say "
                            "which): " +
                            ps.error_message;
    for (size_t i : sent) judge(outcome, reason, i, EventOutcome::Rejected, why);
  }

  static void judge(std::vector<EventOutcome>& outcome, std::vector<std::string>& reason, size_t i,
                    EventOutcome o, const std::string& why) {
    outcome[i] = o;
    reason[i] = why;
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
      {"encoding",
       OptType::Enum,
       "protobuf",
       false,
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

void validate(const Options& o, const std::string& path, Diagnostics& d, Schema /*schema: no templates*/) {
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
    // Encoding a request costs about as many instructions as reading, normalizing and encoding
    // its events as audit/v1 (callgrind, 100,000 events: 28.1k per event against the http
    // path's 14.8k), and it runs on the sending thread: with two batches in flight, one encodes
    // while the other waits for the collector.
    .default_concurrency = 2,
    .metrics = {{"auditrelay_otlp_rejected_log_records_total", MetricType::Counter, "output",
                 "log records a collector reported rejected (partial_success)"}},
});

}  // namespace
}  // namespace auditrelay
