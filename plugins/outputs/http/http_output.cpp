// Output `http`: POSTs batches to any HTTP collector as NDJSON or a JSON array, optionally
// gzip-compressed. 2xx acknowledges; 408, 429, 5xx and transport errors are retried (honouring
// Retry-After); other 4xx reject the batch to the dead-letter file with status and body.
#include <memory>
#include <string>

#include "coder/event/event_attributes.h"
#include "core/common/uuid.h"
#include "core/plugin/output.h"
#include "core/registry/registry.h"
#include "plugins/common/http_client.h"

namespace auditrelay {
namespace {

class HttpOutput final : public Output {
 public:
  HttpOutput(const Options& o)
      : client_(http_client_options(o)),
        url_(o.str("url")),
        array_(o.str("format", "ndjson") == "json_array"),
        gzip_(o.str("compression", "none") == "gzip") {}

  SendResult send(const OutBatch& batch) override {
    parts_.clear();
    if (array_) parts_.add("[");
    for (size_t i = 0; i < batch.events.size(); ++i) {
      if (array_ && i) parts_.add(",");
      parts_.add(batch.events[i].json);
      if (!array_) parts_.add("\n");
    }
    if (array_) parts_.add("]");
    std::vector<std::string> headers{
        array_ ? "Content-Type: application/json" : "Content-Type: application/x-ndjson",
        "Idempotency-Key: " + idempotency_key(batch)};
    HttpResponse r;
    if (gzip_) {
      headers.push_back("Content-Encoding: gzip");
      r = client_.post(url_, gzip_compress(parts_), headers);
    } else {
      r = client_.post(url_, parts_, headers);  // libcurl reads the events in place
    }
    return classify(r, batch.events.size());
  }

  static SendResult classify(const HttpResponse& r, size_t n) {
    if (r.status == 0) return SendResult::retry("transport error: " + r.error);
    if (r.status >= 200 && r.status < 300) return SendResult::delivered();
    std::string why = "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 256);
    if (r.status == 408 || r.status == 429 || r.status >= 500)
      return SendResult::retry(why, r.retry_after);
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    return SendResult::rejected_events(std::move(all), why);
  }

 private:
  // Stable across retries of the same batch: derived from the events it carries.
  static std::string idempotency_key(const OutBatch& b) {
    std::string name;
    if (!b.events.empty()) {
      const auto& first = b.events.front();
      const auto& last = b.events.back();
      name.append(text(*first.batch, *first.meta, TextAttr::EventId));
      name.push_back('/');
      name.append(text(*last.batch, *last.meta, TextAttr::EventId));
    }
    name += "/" + std::to_string(b.events.size());
    return format_uuid(uuid_v5(kAuditrelayNamespace, name));
  }

  HttpClient client_;
  std::string url_;
  bool array_, gzip_;
  HttpBodyParts parts_;  // views into the batch being sent
};

std::vector<OptionSpec> specs() {
  std::vector<OptionSpec> s = {
      {"url", OptType::String, "", true, "collector URL (http:// or https://)"},
      {"format",
       OptType::Enum,
       "ndjson",
       false,
       "body: one event per line, or one JSON array",
       {"ndjson", "json_array"}},
      {"compression", OptType::Enum, "none", false, "request body compression", {"none", "gzip"}},
  };
  auto common = http_client_specs();
  s.insert(s.end(), common.begin(), common.end());
  return s;
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "http",
    .summary =
        "POSTs batches of events to an HTTP collector (NDJSON or JSON array, gzip, TLS, auth)",
    .options = specs(),
    .make_output = [](const PluginContext&, const Options& o) -> std::unique_ptr<Output> {
      return std::make_unique<HttpOutput>(o);
    },
    .validate = [](const Options& o, const std::string& path, Diagnostics& d,
                   Schema) { validate_http_client(o, path, d); },
});

}  // namespace
}  // namespace auditrelay
