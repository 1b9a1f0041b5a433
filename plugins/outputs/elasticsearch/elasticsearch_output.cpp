// Output `elasticsearch`: the _bulk API of Elasticsearch and OpenSearch. Each event is an action
// line and the event: `create` with `_id` = event_id by default, so an event delivered twice (at
// least once: a retry, a restart after kill -9) is refused by the server as a conflict (409)
// instead of stored twice. The answer is judged per item: stored or conflict = delivered,
// 429/5xx items are sent again (only those), any other item error is dead-lettered with its type
// and reason. A whole-request 413 splits the batch; 401, 403, 408, 429, 5xx and connection errors
// retry it; other 4xx dead-letter it.
#include <simdjson.h>

#include <cctype>
#include <memory>
#include <string>

#include "core/common/json_writer.h"
#include "core/metrics/metrics.h"
#include "core/plugin/output.h"
#include "core/registry/registry.h"
#include "plugins/common/http_client.h"
#include "plugins/outputs/common/event_template.h"
#include "plugins/outputs/common/parts.h"

namespace auditrelay {
namespace {

constexpr EventTemplate::Rules kTemplateRules{.dates = true, .schema_only = true};
EventTemplate::Rules template_rules(Schema schema) {
  EventTemplate::Rules r = kTemplateRules;
  r.schema = schema;
  return r;
}

// The per-item outcomes, each one counted.
enum class Item { Created, Duplicate, Retry, Rejected };
constexpr std::string_view kItemNames[] = {"created", "duplicate", "retried", "rejected"};

class ElasticsearchOutput final : public Output {
 public:
  ElasticsearchOutput(const PluginContext& ctx, const Options& o)
      : client_(client_options(o)),
        url_(bulk_url(o)),
        op_type_(o.str("op_type", "create")),
        action_open_("{\"" + op_type_ + "\":{\"_index\":\""),
        index_(o.str("index", "coder-{kind}"), template_rules(ctx.schema)),
        id_(o.str("id", "{event_id}"), template_rules(ctx.schema)),
        routing_(o.str("routing"), template_rules(ctx.schema)),
        gzip_(o.str("compression", "none") == "gzip") {
    for (size_t k = 0; k < std::size(kItemNames); ++k)
      if (ctx.metrics)
        counters_[k] = &ctx.metrics->counter(
            "auditrelay_elasticsearch_items_total",
            "output=\"" + ctx.name + "\",outcome=\"" + std::string(kItemNames[k]) + "\"");
  }

  // The action line: {"create":{"_index":"...","_id":"..."}} and two newlines.
  size_t framing_bytes(const OutEvent&) const override { return 160; }

  SendResult send(const OutBatch& batch) override {
    const size_t n = batch.events.size();
    std::vector<EventOutcome> outcome(n, EventOutcome::Retry);
    std::vector<std::string> reason(n);
    std::string retry_why;
    std::chrono::milliseconds retry_after{0};
    post_in_parts(n, [&](const std::vector<size_t>& part) {
      HttpResponse r = post(batch, part);
      // Larger than the server takes (http.max_content_length): halves.
      if (r.status == 413 && part.size() > 1) return PartAnswer::TooLarge;
      if (r.status >= 200 && r.status < 300) {
        if (judge_items(r.body, part, outcome, reason)) return PartAnswer::Judged;
        retry_why = "unreadable _bulk answer: " + r.body.substr(0, 256);
        return PartAnswer::Stop;
      }
      const std::string why =
          r.status == 0 ? "transport error: " + r.error
                        : "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 256);
      if (retry_whole_request(r.status)) {
        retry_why = why;
        retry_after = r.retry_after;
        return PartAnswer::Stop;
      }
      for (size_t i : part) {
        set(outcome[i], Item::Rejected);
        reason[i] = why;
      }
      return PartAnswer::Judged;
    });
    return result_of(outcome, reason, retry_why.empty() ? "items answered 429 or 5xx" : retry_why,
                     retry_after);
  }

 private:
  static HttpClientOptions client_options(const Options& o) {
    HttpClientOptions h = http_client_options(o);
    std::string api_key = o.object("auth").str("api_key");
    if (!api_key.empty()) h.headers["Authorization"] = "ApiKey " + api_key;
    h.max_body = 64 << 20;  // the per-item answer of a whole batch
    return h;
  }

  // Only what judging needs comes back (filter_path), not every item's index, id and shards.
  static std::string bulk_url(const Options& o) {
    std::string url = join_url(
        o.str("url"), "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason");
    if (std::string p = o.str("pipeline"); !p.empty()) url += "&pipeline=" + p;
    return url;
  }

  HttpResponse post(const OutBatch& batch, const std::vector<size_t>& part) {
    body_.clear();
    for (size_t i : part) {
      action_line(batch.events[i]);
      body_.append(batch.events[i].json);
      body_.push_back('\n');
    }
    std::vector<std::string> headers{"Content-Type: application/x-ndjson"};
    if (!gzip_) return client_.post(url_, body_, headers);
    headers.push_back("Content-Encoding: gzip");
    return client_.post(url_, gzip_compress(body_), headers);
  }

  // {"create":{"_index":"...","_id":"..."}} written with appends: a JsonWriter per line cost
  // about a tenth of the output's CPU (e2e_bench file -> elasticsearch).
  void action_line(const OutEvent& e) {
    body_.append(action_open_);
    index_.render(e, parser_, scratch_, "unknown");
    // Index names are lower-case in Elasticsearch and OpenSearch, without \ / * ? " < > | , #
    // or spaces: a field value holding them would otherwise fail every event it names.
    for (char& c : scratch_) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (std::string_view(R"(\/*?"<>|,# )").find(c) != std::string_view::npos) c = '_';
    }
    json_escape_append(body_, scratch_);
    body_.push_back('"');
    if (!id_.empty() && id_.render(e, parser_, scratch_)) {
      body_.append(",\"_id\":\"");
      json_escape_append(body_, scratch_);
      body_.push_back('"');
    }
    if (!routing_.empty() && routing_.render(e, parser_, scratch_)) {
      body_.append(",\"routing\":\"");
      json_escape_append(body_, scratch_);
      body_.push_back('"');
    }
    body_.append("}}\n");
  }

  // Reads {"errors":..,"items":[{"create":{"status":201}},..]}; false when it cannot.
  bool judge_items(const std::string& body, const std::vector<size_t>& part,
                   std::vector<EventOutcome>& outcome, std::vector<std::string>& reason) {
    // Every item is read, even under "errors": false: an answer without one status per event
    // sent (a proxy's, a wrong URL's) proves nothing was stored.
    simdjson::dom::element root;
    if (parser_.parse(body.data(), body.size()).get(root)) return false;
    simdjson::dom::array items;
    if (root["items"].get_array().get(items) || items.size() != part.size()) return false;
    size_t k = 0;
    for (simdjson::dom::element item : items) {
      simdjson::dom::object op;
      if (item.get_object().get(op) || op.size() != 1) return false;
      simdjson::dom::element result = (*op.begin()).value;
      int64_t status = 0;
      if (result["status"].get_int64().get(status)) return false;
      const size_t i = part[k++];
      const Item judged = item_outcome(status);
      set(outcome[i], judged);
      if (judged == Item::Rejected || judged == Item::Retry) reason[i] = item_error(result, status);
    }
    return true;
  }

  Item item_outcome(int64_t status) const {
    if (status >= 200 && status < 300) return Item::Created;
    // A conflict on create: the server already holds this _id, from an earlier delivery.
    if (status == 409 && op_type_ == "create") return Item::Duplicate;
    if (status == 429 || status >= 500) return Item::Retry;
    return Item::Rejected;
  }

  static std::string item_error(simdjson::dom::element result, int64_t status) {
    std::string why = "item status " + std::to_string(status);
    std::string_view type, text;
    if (!result["error"]["type"].get_string().get(type)) why += ": " + std::string(type);
    if (!result["error"]["reason"].get_string().get(text)) why += ": " + std::string(text);
    return why;
  }

  // Records and counts an item's outcome (events never answered for stay Retry, uncounted).
  void set(EventOutcome& slot, Item item) {
    slot = item == Item::Rejected ? EventOutcome::Rejected
           : item == Item::Retry  ? EventOutcome::Retry
                                  : EventOutcome::Delivered;
    if (Metrics::Counter* c = counters_[static_cast<size_t>(item)])
      c->fetch_add(1, std::memory_order_relaxed);
  }

  HttpClient client_;
  std::string url_, op_type_, action_open_;
  EventTemplate index_, id_, routing_;
  bool gzip_;
  std::string body_, scratch_;
  simdjson::dom::parser parser_;
  Metrics::Counter* counters_[std::size(kItemNames)] = {};
};

std::vector<OptionSpec> specs() {
  std::vector<OptionSpec> s = {
      {"url", OptType::String, "", true,
       "cluster URL (http:// or https://), e.g. https://es.example.com:9200; /_bulk is appended"},
      {"index", OptType::String, "coder-{kind}", false,
       "index or data stream: a template over audit/v1 fields ({kind}, {action}, ...) with "
       "dates from the event's time (%Y, %m, %d, %H); lower-cased"},
      {"op_type",
       OptType::Enum,
       "create",
       false,
       "create: a document whose _id exists is refused (409, counted as delivered); data "
       "streams need it. index: overwrite",
       {"create", "index"}},
      {"id", OptType::String, "{event_id}", false,
       "document _id template; \"\" lets the server choose (duplicates are then stored twice)"},
      {"routing", OptType::String, "", false, "shard routing template (default: none)"},
      {"pipeline", OptType::String, "", false, "ingest pipeline to run (default: none)"},
      {"compression", OptType::Enum, "none", false, "request body compression", {"none", "gzip"}},
  };
  auto common = http_client_specs();
  for (OptionSpec& spec : common)
    if (spec.name == "auth")
      spec.children.push_back({"api_key",
                               OptType::String,
                               "",
                               false,
                               "sent as Authorization: ApiKey (base64 id:key as Elasticsearch "
                               "gives it; or api_key_file)",
                               {},
                               {},
                               true});
  s.insert(s.end(), common.begin(), common.end());
  return s;
}

void validate(const Options& o, const std::string& path, Diagnostics& d, Schema schema) {
  validate_http_client(o, path, d);
  for (const char* name : {"index", "id", "routing"})
    if (std::string why = EventTemplate::problem(o.str(name), template_rules(schema));
        !why.empty())
      d.error(o.line(name), path + "." + name, why);
  if (o.str("index", "coder-{kind}").empty())
    d.error(o.line("index"), path + ".index", "must name an index or data stream");
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "elasticsearch",
    .summary = "Elasticsearch / OpenSearch _bulk: create with _id = event_id, so a redelivered "
               "event is stored once",
    .options = specs(),
    .make_output = [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Output> {
      return std::make_unique<ElasticsearchOutput>(ctx, o);
    },
    .validate = validate,
    .metrics = {{"auditrelay_elasticsearch_items_total", MetricType::Counter, "output, outcome",
                 "_bulk items by outcome: created, duplicate (409 on create: already stored), "
                 "retried (429/5xx), rejected (dead-lettered)"}},
});

}  // namespace
}  // namespace auditrelay
